// Issue 6's measure over HTTP: the catch-all answering legacy paths with 100,000 exact rules and 50
// patterns loaded, against a bare Remix resource route of the same server in the same run.
// The server is the real `causeway serve` (production mode) in a child process on PostgreSQL.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createDb } from '../../db/client.ts';
import { freePort } from '../support/http.ts';
import { startServer, timed } from './harness.ts';

const EXACT = 100_000;
const PATTERNS = 50;
const CONCURRENCY = 32;

export async function benchCatchAll(databaseUrl: string | undefined): Promise<string[]> {
  const out: string[] = [];
  out.push(
    `### URL rules over HTTP: the catch-all with ${EXACT.toLocaleString('en-US')} exact rules and ${PATTERNS} patterns (\`causeway serve\` on PostgreSQL, ${CONCURRENCY} at a time)`,
  );
  out.push('');
  if (!databaseUrl) {
    out.push('Not run: set DATABASE_URL to a PostgreSQL server.');
    out.push('');
    return out;
  }
  const database = await createDb({ url: databaseUrl });
  await database.migrate();
  await database.db.execute(sql`
    insert into url_rules (kind, source, target, "when")
    select 'exact', '/legacy/articles/' || i || '-caring-for-your-health', '{new}/library/articles/' || i, 'always'
    from generate_series(0, ${EXACT - 1}) as i`);
  await database.db.execute(sql`
    insert into url_rules (kind, source, target, "when", position)
    select 'pattern', '/section-' || p || '/:kind/:id', '{new}/s' || p || '/{kind}/{id}', 'always', p
    from generate_series(0, ${PATTERNS - 1}) as p`);
  await database.close();

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = await startServer(
    {
      DATABASE_URL: databaseUrl,
      DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      PUBLIC_URL: base,
      NEW_PLATFORM_URL: 'https://app.new.example',
      LEGACY_PLATFORM_URL: 'https://old.example.org',
    },
    port,
  );
  try {
    let n = 0;
    const get = async (path: string, expected: number) => {
      const response = await fetch(`${base}${path}`, { redirect: 'manual' });
      await response.arrayBuffer();
      if (response.status !== expected) throw new Error(`${path} answered ${response.status}`);
    };
    // Warm-up: the first request loads the rules.
    await get('/legacy/articles/1-caring-for-your-health', 302);
    await get('/.well-known/security.txt', 200);
    const resource = await timed(CONCURRENCY, 10, () => get('/.well-known/security.txt', 200));
    const exact = await timed(CONCURRENCY, 10, () =>
      get(`/legacy/articles/${(n++ * 7919) % EXACT}-caring-for-your-health?utm_source=email`, 302),
    );
    const pattern = await timed(CONCURRENCY, 10, () => get(`/section-${n++ % PATTERNS}/visit/${n}`, 302));
    const ratio = (x: number) => x / resource.perSecond;
    out.push('| requests | per second | p95 | baseline (same run) | ratio | target |');
    out.push('| --- | ---: | ---: | --- | ---: | --- |');
    out.push(
      `| legacy path → exact rule (302) | ${exact.perSecond.toFixed(0)} | ${exact.p95.toFixed(0)} ms | Remix resource route ${resource.perSecond.toFixed(0)} /s (p95 ${resource.p95.toFixed(0)} ms) | ${(ratio(exact.perSecond) * 100).toFixed(0)} % | ≥ 50 % ${ratio(exact.perSecond) >= 0.5 ? 'met' : 'MISSED'} |`,
    );
    out.push(
      `| legacy path → pattern rule (302) | ${pattern.perSecond.toFixed(0)} | ${pattern.p95.toFixed(0)} ms | same | ${(ratio(pattern.perSecond) * 100).toFixed(0)} % | ≥ 50 % ${ratio(pattern.perSecond) >= 0.5 ? 'met' : 'MISSED'} |`,
    );
    out.push('');
    out.push(
      'Anonymous visitors (no session to look up); the baseline is `/.well-known/security.txt`, a Remix resource route that reads nothing.',
    );
    out.push('');
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }
  return out;
}
