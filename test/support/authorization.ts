// An authorization request as the new platform sends it (code flow, PKCE S256, state, nonce); free of
// the test runner so the benchmarks use it too.
import * as oidc from 'openid-client';

/** The relying party's origin in tests: nothing listens there; the redirect carries the answer. */
export const RP = 'http://127.0.0.1:9';
export const REDIRECT_URI = `${RP}/callback`;

export interface Started {
  verifier: string;
  state: string;
  nonce: string;
  url: URL;
}

export async function authorizationRequest(
  config: oidc.Configuration,
  extra: Record<string, string> = {},
): Promise<Started> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email phone profile patient offline_access',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { verifier, state, nonce, url };
}
