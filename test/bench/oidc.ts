// Full patient sign-ins through the OIDC provider (authorize → sign-in page → password POST with an
// argon2id verification → redirect → token) against raw argon2id verifications in the same run, and
// the token endpoint's throughput (refresh grants) against the same server's /healthz.
// The server is the real `causeway serve` in a child process on PostgreSQL; this process is the load.
import { verify } from '@node-rs/argon2';
import * as oidc from 'openid-client';
import { authorizationRequest, REDIRECT_URI } from '../support/authorization.ts';
import { csrfFrom, TestBrowser } from '../support/http.ts';
import { startServer, timed } from './harness.ts';
import { seedSignInBench } from './sign-in-setup.ts';

const PASSWORD = 'Harbor-Bench-Password-1';

/** One patient's whole sign-in, as a browser and the new platform's back end do it. */
async function fullSignIn(base: string, config: oidc.Configuration, email: string) {
  const browser = new TestBrowser(base);
  const { url, verifier, state, nonce } = await authorizationRequest(config, {
    scope: 'openid email profile offline_access',
  });
  const toInteraction = await browser.get(url.pathname + url.search);
  const interaction = toInteraction.headers.get('location')!;
  const page = await browser.get(interaction);
  const posted = await browser.submit(
    interaction,
    { intent: 'password', identifier: email, password: PASSWORD },
    { csrf: csrfFrom(await page.text()) },
  );
  if (posted.status !== 303 && posted.status !== 302) throw new Error(`sign-in answered ${posted.status}`);
  let location = posted.headers.get('location')!;
  while (!location.startsWith(REDIRECT_URI)) {
    const next = await browser.get(location.replace(base, ''));
    await next.arrayBuffer();
    location = next.headers.get('location')!;
  }
  return oidc.authorizationCodeGrant(config, new URL(location), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
}

export async function benchOidc(databaseUrl: string | undefined): Promise<string[]> {
  const out: string[] = [];
  out.push(
    '### OIDC: full patient sign-ins and the token endpoint (`causeway serve` on PostgreSQL, 32 at a time)',
  );
  out.push('');
  if (!databaseUrl) {
    out.push('Not run: set DATABASE_URL to a PostgreSQL server.');
    out.push('');
    return out;
  }
  const concurrency = 32;
  const patientsCount = 4000;
  const { env, port, base, encoded, email, discover } = await seedSignInBench({
    databaseUrl,
    password: PASSWORD,
    patients: patientsCount,
    prefix: 'bench',
  });

  // Baseline: bare argon2id verifications of the same hash, same concurrency, same machine.
  const raw = await timed(concurrency, 10, async () => {
    if (!(await verify(encoded, PASSWORD))) throw new Error('bench hash did not verify');
  });

  const server = await startServer(env, port);
  try {
    const config = await discover();
    let n = 0;
    const refreshTokens: string[] = [];
    // Warm-up: connections, JIT, the provider's JWKS in openid-client's cache.
    for (let i = 0; i < 8; i++) await fullSignIn(base, config, email(n++ % patientsCount));
    const full = await timed(concurrency, 20, async () => {
      const tokens = await fullSignIn(base, config, email(n++ % patientsCount));
      if (refreshTokens.length < concurrency) refreshTokens.push(tokens.refresh_token!);
    });
    const ratio = full.perSecond / raw.perSecond;
    out.push('| measure | figure | baseline (same run) | ratio | target |');
    out.push('| --- | ---: | --- | ---: | --- |');
    out.push(
      `| full sign-ins /s | ${full.perSecond.toFixed(1)} (${full.count} in 20 s) | raw argon2id verifications ${raw.perSecond.toFixed(1)} /s | ${(ratio * 100).toFixed(0)} % | ≥ 80 % ${ratio >= 0.8 ? 'met' : 'MISSED'} |`,
    );
    out.push(
      `| full sign-in p95 | ${full.p95.toFixed(0)} ms | raw verification p95 ${raw.p95.toFixed(0)} ms | — | ≤ 400 ms ${full.p95 <= 400 ? 'met' : 'MISSED'} |`,
    );

    // Token endpoint: each worker keeps rotating its own refresh token (one grant each).
    const health = await timed(concurrency, 5, async () => {
      await (await fetch(`${base}/healthz`)).arrayBuffer();
    });
    const chains = [...refreshTokens];
    const tokenRate = await timed(concurrency, 10, async (worker) => {
      const rotated = await oidc.refreshTokenGrant(config, chains[worker]!);
      chains[worker] = rotated.refresh_token!;
    });
    out.push(
      `| token endpoint (refresh grants) /s | ${tokenRate.perSecond.toFixed(0)} (p95 ${tokenRate.p95.toFixed(0)} ms) | same server's /healthz ${health.perSecond.toFixed(0)} /s | ${((tokenRate.perSecond / health.perSecond) * 100).toFixed(0)} % | ≥ 2,000 /s ${tokenRate.perSecond >= 2000 ? 'met' : 'MISSED'} |`,
    );
    out.push('');
    out.push(
      `Each full sign-in is 5 HTTP requests (authorize, sign-in page, password POST, resume, token) and one argon2id verification (m=19456, t=2, p=1) on the server's thread pool; the load generator runs in the bench process on the same machine.`,
    );
    out.push('');
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }
  return out;
}
