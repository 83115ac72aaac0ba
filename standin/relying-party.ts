// The stand-in new platform: a small relying party that `npm start` runs beside the portal, so anyone
// can click through the whole path (sign in at Causeway, land here, see the claims received).
// It uses openid-client exactly as the real new platform would: code flow, PKCE, state and nonce.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import express from 'express';
import * as oidc from 'openid-client';
import type { Db } from '../db/client.ts';
import { oidcClients } from '../db/schema/index.ts';
import type { FieldCipher } from '../identity/encryption.ts';
import { addClient } from '../identity/oidc/clients.ts';

export interface StandinClient {
  clientId: string;
  clientSecret: string;
}

/** Registers the stand-in as a first-party client once, keeping its secret in DATA_DIR. */
export async function ensureStandinClient(options: {
  db: Db;
  cipher: FieldCipher;
  dataDir: string;
  url: string;
}): Promise<StandinClient> {
  const file = path.join(options.dataDir, 'standin-client.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as StandinClient & { url: string };
    const [row] = await options.db
      .select({ id: oidcClients.clientId })
      .from(oidcClients)
      .where(eq(oidcClients.clientId, saved.clientId));
    if (row && saved.url === options.url) return saved;
  }
  const created = await addClient(options.db, options.cipher, {
    name: 'New platform (stand-in)',
    redirectUris: [`${options.url}/callback`],
    postLogoutRedirectUris: [`${options.url}/`],
    initiateLoginUri: `${options.url}/launch`,
    type: 'confidential',
    firstParty: true,
  });
  const client = { clientId: created.clientId, clientSecret: created.clientSecret! };
  writeFileSync(file, JSON.stringify({ ...client, url: options.url }, null, 2) + '\n', { mode: 0o600 });
  return client;
}

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, body: string) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem .6rem;text-align:left;vertical-align:top}
a.button,button{display:inline-block;background:#5b2a86;color:#fff;padding:.6rem 1rem;border-radius:6px;text-decoration:none;border:0;font-size:1rem;cursor:pointer}
.note{background:#f3eef8;padding:.75rem 1rem;border-radius:6px}</style></head>
<body><p class="note">Stand-in for the new platform: it shows what Causeway hands over.</p>${body}</body></html>`;
}

function claimsTable(title: string, claims: Record<string, unknown>) {
  const rows = Object.entries(claims)
    .map(
      ([k, v]) =>
        `<tr><th>${escape(k)}</th><td>${escape(typeof v === 'string' ? v : JSON.stringify(v))}</td></tr>`,
    )
    .join('');
  return `<h2>${escape(title)}</h2><table>${rows}</table>`;
}

export async function startStandin(options: {
  issuer: string;
  client: StandinClient;
  port: number;
  host: string;
  publicUrl: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  let config: oidc.Configuration | undefined;
  const configuration = async () => {
    config ??= await oidc.discovery(
      new URL(options.issuer),
      options.client.clientId,
      undefined,
      oidc.ClientSecretBasic(options.client.clientSecret),
      new URL(options.issuer).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
    );
    return config;
  };
  // Sign-ins in flight, keyed by the state cookie: verifier and nonce never leave this process.
  const pending = new Map<string, { verifier: string; nonce: string; at: number }>();
  const signedIn = new Map<
    string,
    { idToken: string; claims: Record<string, unknown>; userinfo: Record<string, unknown> }
  >();
  const cookieOf = (req: express.Request, name: string) =>
    new RegExp(`(?:^|;\\s*)${name}=([\\w-]+)`).exec(req.get('cookie') ?? '')?.[1];

  const app = express();
  app.disable('x-powered-by');
  const startSignIn = async (res: express.Response) => {
    const cfg = await configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    for (const [key, value] of pending) if (Date.now() - value.at > 30 * 60_000) pending.delete(key);
    pending.set(state, { verifier, nonce, at: Date.now() });
    const url = oidc.buildAuthorizationUrl(cfg, {
      redirect_uri: `${options.publicUrl}/callback`,
      scope: 'openid email phone profile patient offline_access',
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    res.setHeader('Set-Cookie', `standin_state=${state}; Path=/; HttpOnly; SameSite=Lax; Max-Age=1800`);
    res.redirect(url.href);
  };
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  app.get('/', (req, res) => {
    const session = signedIn.get(cookieOf(req, 'standin_session') ?? '');
    if (!session) {
      res.send(
        page(
          'New platform (stand-in)',
          `<h1>Welcome to the new platform</h1><p>Patients arrive here signed in by Causeway.</p><a class="button" href="/login">Sign in with Causeway</a>`,
        ),
      );
      return;
    }
    res.send(
      page(
        'Signed in',
        `<h1>Signed in${session.userinfo.given_name ? `: ${escape(String(session.userinfo.given_name))}` : ''}</h1>
${claimsTable('ID token claims', session.claims)}${claimsTable('UserInfo claims', session.userinfo)}
<p><a class="button" href="/logout">Sign out</a></p>`,
      ),
    );
  });
  app.get('/login', (_req, res, next) => {
    startSignIn(res).catch(next);
  });
  // Third-party-initiated login (OpenID Connect Core §4): Causeway sends patients here to begin.
  app.get('/launch', (req, res, next) => {
    if (req.query.iss !== options.issuer) {
      res
        .status(400)
        .send(page('Unknown issuer', '<p>This sign-in did not come from our identity provider.</p>'));
      return;
    }
    startSignIn(res).catch(next);
  });
  app.get('/callback', (req, res, next) => {
    (async () => {
      const state = cookieOf(req, 'standin_state');
      const flow = state ? pending.get(state) : undefined;
      if (!state || !flow) {
        res
          .status(400)
          .send(
            page('Sign-in expired', '<p>This sign-in has expired. <a href="/login">Start again</a>.</p>'),
          );
        return;
      }
      pending.delete(state);
      const cfg = await configuration();
      const tokens = await oidc.authorizationCodeGrant(cfg, new URL(req.originalUrl, options.publicUrl), {
        pkceCodeVerifier: flow.verifier,
        expectedState: state,
        expectedNonce: flow.nonce,
      });
      const claims = tokens.claims()!;
      const userinfo = await oidc.fetchUserInfo(cfg, tokens.access_token, claims.sub);
      const session = randomBytes(24).toString('base64url');
      signedIn.set(session, { idToken: tokens.id_token!, claims: { ...claims }, userinfo: { ...userinfo } });
      res.setHeader('Set-Cookie', `standin_session=${session}; Path=/; HttpOnly; SameSite=Lax`);
      res.redirect('/');
    })().catch(next);
  });
  app.get('/logout', (req, res, next) => {
    (async () => {
      const key = cookieOf(req, 'standin_session') ?? '';
      const session = signedIn.get(key);
      signedIn.delete(key);
      if (!session) {
        res.redirect('/');
        return;
      }
      const url = oidc.buildEndSessionUrl(await configuration(), {
        id_token_hint: session.idToken,
        post_logout_redirect_uri: `${options.publicUrl}/`,
      });
      res.redirect(url.href);
    })().catch(next);
  });
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res
      .status(502)
      .send(
        page(
          'Sign-in failed',
          `<p>The sign-in could not be completed: ${escape(err.message)}</p><a href="/login">Try again</a>`,
        ),
      );
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port, options.host, () => resolve(s));
    s.once('error', reject);
  });
  return {
    url: options.publicUrl,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
