// `npm run bench [-- import|signin|oidc|links|url-rules|waves|support] [--rows N]`: the figures issue targets are judged by, each beside a
// baseline measured in the same run on the same machine, written to test/bench/RESULTS.md.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { generateExport } from './generate-export.ts';
import { benchOidc } from './oidc.ts';
import { benchPasswordless } from './passwordless.ts';
import { benchUrlRules } from './url-rules.ts';
import { benchCatchAll } from './url-rules-http.ts';
import { benchSignIn } from './signin.ts';
import { benchSupport } from './support.ts';
import { benchWaves } from './waves.ts';

const run = promisify(execFile);
const here = import.meta.dirname;
const root = path.resolve(here, '../..');
const args = process.argv.slice(2);
const only = args.find((a) => !a.startsWith('--'));
const rowsArg = args.indexOf('--rows');
const bigRows = rowsArg >= 0 ? Number(args[rowsArg + 1]) : 1_000_000;
const lines: string[] = [];

function report(line: string) {
  console.log(line);
  lines.push(line);
}

/** Runs the real `causeway import patients` and reads its own report of time and peak memory. */
async function importChild(file: string, env: Record<string, string>) {
  const { stdout } = await run(
    process.execPath,
    [path.join(root, 'bin/causeway.js'), 'import', 'patients', file, '--batch-size', '2000'],
    { cwd: root, env: { ...process.env, ...env }, maxBuffer: 1 << 20, timeout: 15 * 60_000 },
  );
  const match = /Took ([\d.]+) s .*peak memory (\d+) MB/.exec(stdout);
  if (!match) throw new Error(`the import printed no figures:\n${stdout}`);
  return { seconds: Number(match[1]), maxRssMb: Number(match[2]) };
}

function migrate(env: Record<string, string>) {
  execFileSync(process.execPath, [path.join(root, 'bin/causeway.js'), 'db', 'migrate'], {
    cwd: root,
    env: { ...process.env, ...env },
  });
}

async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The floor: PostgreSQL's own COPY of the same file into a plain text table, through psql. */
async function rawCopySeconds(url: string, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const columns = readFileSync(file, 'utf8').slice(0, 4096).split('\n')[0]!.split(',');
  await client.query(`CREATE UNLOGGED TABLE copy_baseline (${columns.map((c) => `${c} text`).join(', ')})`);
  await client.end();
  const started = performance.now();
  execFileSync('psql', [
    url,
    '-q',
    '-c',
    `\\copy copy_baseline from '${file}' with (format csv, header true)`,
  ]);
  return (performance.now() - started) / 1000;
}

async function benchImport() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'causeway-bench-'));
  try {
    const sizes = [100_000, bigRows];
    const files = new Map<number, string>();
    for (const n of sizes) {
      const file = path.join(dir, `export-${n}.csv`);
      await generateExport(file, n);
      files.set(n, file);
    }
    report(
      `### Import (${sizes.map((n) => n.toLocaleString('en-US')).join(' and ')} generated rows: 11 hash formats, 2 % dirty rows each of 6 kinds)`,
    );
    report('');
    report('| database | rows | import s | rows/s | peak RSS MB | baseline | ratio | target |');
    report('| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |');
    const pgUrl = process.env.DATABASE_URL;
    const rss = new Map<string, number>();
    if (pgUrl) {
      for (const n of sizes) {
        const url = await freshDatabase(pgUrl, `causeway_bench_${n}`);
        const copy = await rawCopySeconds(url, files.get(n)!);
        migrate({ DATABASE_URL: url });
        const result = await importChild(files.get(n)!, { DATABASE_URL: url });
        rss.set(`pg-${n}`, result.maxRssMb);
        const ratio = result.seconds / copy;
        report(
          `| PostgreSQL | ${n.toLocaleString('en-US')} | ${result.seconds.toFixed(1)} | ${Math.round(n / result.seconds).toLocaleString('en-US')} | ${result.maxRssMb.toFixed(0)} | raw COPY ${copy.toFixed(2)} s | ${ratio.toFixed(1)}× | ${n >= 1_000_000 ? `≤ 60 s ${result.seconds <= 60 ? 'met' : 'MISSED'}; ≤ 10× COPY ${ratio <= 10 ? 'met' : 'MISSED'}` : '—'} |`,
        );
      }
    } else {
      report('| PostgreSQL | — | not run: set DATABASE_URL to a PostgreSQL server | | | | | |');
    }
    for (const n of sizes) {
      const env = { DATABASE_URL: '', DATA_DIR: path.join(dir, `pglite-${n}`) };
      migrate(env);
      const result = await importChild(files.get(n)!, env);
      rss.set(`pglite-${n}`, result.maxRssMb);
      report(
        `| PGlite (in process) | ${n.toLocaleString('en-US')} | ${result.seconds.toFixed(1)} | ${Math.round(n / result.seconds).toLocaleString('en-US')} | ${result.maxRssMb.toFixed(0)} | — | — | ${n >= 1_000_000 ? `≤ 300 s ${result.seconds <= 300 ? 'met' : 'MISSED'}` : '—'} |`,
      );
    }
    report('');
    for (const kind of ['pg', 'pglite']) {
      const small = rss.get(`${kind}-100000`);
      const big = rss.get(`${kind}-${bigRows}`);
      if (small && big) {
        const growth = (big / small - 1) * 100;
        report(
          `Peak RSS, ${kind === 'pg' ? 'PostgreSQL' : 'PGlite'}: ${big.toFixed(0)} MB at ${bigRows.toLocaleString('en-US')} rows against ${small.toFixed(0)} MB at 100,000 (${growth >= 0 ? '+' : ''}${growth.toFixed(0)} %; target ≤ 300 MB and ≤ +20 %).`,
        );
      }
    }
    report('');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const started = new Date();
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
report(`## Run of ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC — ${machine}`);
report('');
if (!only || only === 'signin') for (const line of await benchSignIn()) report(line);
if (!only || only === 'import') await benchImport();
if (!only || only === 'oidc') {
  // A database of its own, so earlier figures' rows do not sit in its tables.
  const url = process.env.DATABASE_URL
    ? await freshDatabase(process.env.DATABASE_URL, 'causeway_bench_oidc')
    : undefined;
  for (const line of await benchOidc(url)) report(line);
}
if (!only || only === 'links') {
  const url = process.env.DATABASE_URL
    ? await freshDatabase(process.env.DATABASE_URL, 'causeway_bench_links')
    : undefined;
  for (const line of await benchPasswordless(url)) report(line);
}
if (!only || only === 'url-rules') {
  for (const line of await benchUrlRules()) report(line);
  const url = process.env.DATABASE_URL
    ? await freshDatabase(process.env.DATABASE_URL, 'causeway_bench_rules')
    : undefined;
  for (const line of await benchCatchAll(url)) report(line);
}
if (!only || only === 'waves') {
  // BENCH_WAVE_MESSAGES shortens a trial run; the issue's figures are at 100,000.
  const count = Number(process.env.BENCH_WAVE_MESSAGES ?? 100_000);
  const texts = Number(process.env.BENCH_WAVE_TEXTS ?? count);
  const smsRate = Number(process.env.BENCH_SMS_SEGMENTS_PER_SECOND ?? 1_000);
  const batch = Number(process.env.BENCH_WAVE_BATCH ?? 250);
  const lanes = Number(process.env.BENCH_WAVE_LANES ?? 3);
  for (const line of await benchWaves({ emails: count, texts, smsRate, batch, lanes })) report(line);
}
if (!only || only === 'support') {
  const url = process.env.DATABASE_URL
    ? await freshDatabase(process.env.DATABASE_URL, 'causeway_bench_support')
    : undefined;
  for (const line of await benchSupport(url)) report(line);
}

const resultsFile = path.join(here, 'RESULTS.md');
const previous = existsSync(resultsFile)
  ? readFileSync(resultsFile, 'utf8').replace(/^# Benchmark results\n+/, '')
  : '';
writeFileSync(
  resultsFile,
  `# Benchmark results\n\nWritten by \`npm run bench\`; newest run first. Each figure stands beside a baseline measured in the same run.\n\n${lines.join('\n')}\n${previous.replace(/^Written by.*\n+/, '')}`,
);
console.log(`\nWritten to ${path.relative(process.cwd(), resultsFile)}`);
