// Sign-in link redemptions (the confirm POST through to an authorization code) against two baselines
// of the same run: argon2id password sign-ins over the same stretch (the password POST through to an
// authorization code), and a bare Node HTTP server's requests per second on this machine.
// The server is the real `causeway serve` in a child process on PostgreSQL; this process is the load.
import { spawn } from 'node:child_process';
import type * as oidc from 'openid-client';
import pg from 'pg';
import { authorizationRequest, REDIRECT_URI } from '../support/authorization.ts';
import { csrfFrom, freePort, TestBrowser } from '../support/http.ts';
import { drain, inParallel, startServer, timed } from './harness.ts';
import { seedSignInBench } from './sign-in-setup.ts';

const PASSWORD = 'Harbor-Bench-Password-2';
const CONCURRENCY = 32;
// BENCH_FLOWS shortens a run (for looking at one flow's queries); the recorded figures use 1,500.
const FLOWS = Number(process.env.BENCH_FLOWS ?? 1_500);

/** A sign-in started by the new platform, up to the page where the patient acts. */
async function startFlow(base: string, config: oidc.Configuration) {
  const browser = new TestBrowser(base);
  const { url } = await authorizationRequest(config, { scope: 'openid email' });
  const toInteraction = await browser.get(url.pathname + url.search);
  await toInteraction.arrayBuffer();
  const interaction = toInteraction.headers.get('location')!;
  const page = await browser.get(interaction);
  return { browser, interaction, csrf: csrfFrom(await page.text()) };
}

/** Posts, then follows the redirects until the browser is sent back to the client with a code. */
async function postToCode(
  base: string,
  browser: TestBrowser,
  path: string,
  fields: Record<string, string>,
  csrf: string,
) {
  const posted = await browser.submit(path, fields, { csrf });
  await posted.arrayBuffer();
  let location = posted.headers.get('location');
  while (location && !location.startsWith(REDIRECT_URI)) {
    const next = await browser.get(location.replace(base, ''));
    await next.arrayBuffer();
    location = next.headers.get('location');
  }
  if (!location || !new URL(location).searchParams.get('code'))
    throw new Error(`no authorization code (answered ${posted.status})`);
}

/** A bare node:http server in its own process: what one Node process on this machine can answer. */
async function bareHttpRate(): Promise<number> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1', () => console.log('up'))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve) => child.stdout.once('data', resolve));
  try {
    return (
      await timed(CONCURRENCY, 5, async () => {
        await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer();
      })
    ).perSecond;
  } finally {
    child.kill('SIGTERM');
  }
}

export async function benchPasswordless(databaseUrl: string | undefined): Promise<string[]> {
  const out: string[] = [];
  out.push(
    `### Sign-in links: confirm POST to authorization code (\`causeway serve\` on PostgreSQL, ${CONCURRENCY} at a time)`,
  );
  out.push('');
  if (!databaseUrl) {
    out.push('Not run: set DATABASE_URL to a PostgreSQL server.');
    out.push('');
    return out;
  }
  const { env, port, base, email, discover } = await seedSignInBench({
    databaseUrl,
    password: PASSWORD,
    patients: FLOWS,
    prefix: 'link',
    env: { SIGN_IN_LINK_REQUESTS_PER_ADDRESS: '1000000' },
  });

  const bare = await bareHttpRate();
  const server = await startServer(env, port);
  const outbox = new pg.Client({ connectionString: databaseUrl });
  await outbox.connect();
  try {
    const config = await discover();
    const emails = Array.from({ length: FLOWS }, (_, i) => email(i));

    // Password sign-ins: flows prepared up to the sign-in page, then the password POSTs measured.
    const passwordFlows = await inParallel(emails, CONCURRENCY, async (email) => ({
      email,
      ...(await startFlow(base, config)),
    }));
    const password = await drain(passwordFlows, CONCURRENCY, (f) =>
      postToCode(
        base,
        f.browser,
        f.interaction,
        { intent: 'password', identifier: f.email, password: PASSWORD },
        f.csrf,
      ),
    );

    // Links: each flow asks for a link from its sign-in page; the email (outbox) gives the link; the
    // patient's browser opens it; then the confirm POSTs are measured.
    const linkFlows = await inParallel(emails, CONCURRENCY, async (email) => {
      const flow = await startFlow(base, config);
      const asked = await flow.browser.submit(
        flow.interaction,
        { intent: 'email-link', identifier: email },
        { csrf: flow.csrf },
      );
      await asked.arrayBuffer();
      return { email, ...flow };
    });
    const links = new Map<string, string>();
    for (let attempt = 0; links.size < FLOWS && attempt < 600; attempt++) {
      const { rows: sent } = await outbox.query<{ recipient: string; body_text: string }>(
        `select recipient, body_text from outbox where kind = 'sign_in_link'`,
      );
      for (const row of sent) {
        const path = /\/login\/link\/[\w-]{43}/.exec(row.body_text)?.[0];
        if (path) links.set(row.recipient, path);
      }
      if (links.size < FLOWS) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (links.size < FLOWS) throw new Error(`only ${links.size} of ${FLOWS} sign-in emails arrived`);
    const confirmations = await inParallel(linkFlows, CONCURRENCY, async (f) => {
      const path = links.get(f.email)!;
      const page = await f.browser.get(path);
      return { browser: f.browser, path, csrf: csrfFrom(await page.text()) };
    });
    const redeemed = await drain(confirmations, CONCURRENCY, (c) =>
      postToCode(base, c.browser, c.path, { intent: 'confirm' }, c.csrf),
    );

    const vsPassword = redeemed.perSecond / password.perSecond;
    const vsBare = redeemed.perSecond / bare;
    out.push('| measure | figure | baseline (same run) | ratio | target |');
    out.push('| --- | ---: | --- | ---: | --- |');
    out.push(
      `| link redemptions /s | ${redeemed.perSecond.toFixed(1)} (p95 ${redeemed.p95.toFixed(0)} ms, ${redeemed.count}) | argon2id password sign-ins ${password.perSecond.toFixed(1)} /s (p95 ${password.p95.toFixed(0)} ms) | ${vsPassword.toFixed(2)}× | ≥ 5× ${vsPassword >= 5 ? 'met' : 'MISSED'} |`,
    );
    out.push(
      `| link redemptions /s | ${redeemed.perSecond.toFixed(1)} | bare Node HTTP server ${bare.toFixed(0)} req/s | ${(vsBare * 100).toFixed(1)} % | ≥ 2 % ${vsBare >= 0.02 ? 'met' : 'MISSED'} |`,
    );
    out.push('');
    out.push(
      'Both sign-ins are measured from the POST (the confirm button, or the password form) through the redirects to the authorization code: 3 HTTP requests each; the password path adds one argon2id verification (m=19456, t=2, p=1). Flows are prepared before the clock starts.',
    );
    out.push('');
  } finally {
    await outbox.end();
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }
  return out;
}
