// URL rules (issue 6): how fast the compiled rule set answers, against a bare Map lookup of the same
// paths in the same run, and how much memory a million exact rules keep. The HTTP comparison (the
// catch-all against a bare Remix resource route) needs the wired server; this measures what the rule
// set itself costs.
//
// (a) lookups: 100,000 exact rules, 50 patterns and a few prefixes; paths that hit exact rules,
//     patterns and prefixes; `matcher.find` against `Map.get` on a Map of the same 100,000 paths.
// (b) whole decisions: `router.route()` on an in-memory PGlite holding the same rules (normalising,
//     choosing by cohort, rendering the target, merging the query string), against the same `Map.get`.
// (c) memory: a child process (`--expose-gc`) compiles 1,000,000 exact rules streamed in pages as a
//     reload reads them, and reports the heap and RSS kept after a full collection, before and after;
//     a second child reads the same rows and drops them: the baseline the difference is taken from.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { createDb } from '../../db/client.ts';
import { pgArray } from '../../db/pg-array.ts';
import { compileRules, createRuleSetBuilder, type RuleRecord } from '../../identity/url-rules/match.ts';
import { createUrlRouter } from '../../identity/url-rules/router.ts';

const run = promisify(execFile);
const here = fileURLToPath(import.meta.url);
const root = path.resolve(import.meta.dirname, '../..');
const EXACT = 100_000;
const PATTERNS = 50;
const MEMORY_RULES = 1_000_000;
const MEMORY_LIMIT_MB = 200;

const exactSource = (i: number) => `/legacy/articles/${i}-caring-for-your-health`;
const exactTarget = (i: number) => `{new}/library/articles/${(i * 7919) % 1_000_003}`;

/** The rule set of (a) and (b): exact rules, patterns with captures, and prefixes. */
function ruleRecords(): RuleRecord[] {
  const records: RuleRecord[] = [];
  for (let i = 0; i < EXACT; i++)
    records.push({ source: exactSource(i), target: exactTarget(i), when: 'always', status: null });
  for (let p = 0; p < PATTERNS; p++)
    records.push({
      source: `/section-${p}/:kind/:id`,
      target: `{new}/s${p}/{kind}/{id}`,
      when: p % 2 === 0 ? 'always' : 'after_cutover',
      status: null,
      position: p,
    });
  for (const prefix of ['/messages', '/billing', '/records'])
    records.push({ source: `${prefix}/*`, target: `{legacy}${prefix}{rest}`, when: 'always', status: null });
  records.push({ source: '/*', target: '{legacy}{rest}', when: 'always', status: null });
  return records;
}

/** 60 % exact hits, 25 % pattern hits (late patterns too), 15 % prefixes. */
function samplePaths(count: number): string[] {
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = (i * 2654435761) >>> 0;
    const bucket = r % 20;
    if (bucket < 12) paths.push(exactSource(r % EXACT));
    else if (bucket < 17) paths.push(`/section-${r % PATTERNS}/visit/${r % 100_000}`);
    else if (bucket < 19) paths.push(`/messages/thread-${r % 997}/reply`);
    else paths.push(`/about/team-${r % 31}`);
  }
  return paths;
}

/** Operations per second of `work` over `items`, repeated for at least `seconds`. */
function rate<T>(items: T[], seconds: number, work: (item: T) => unknown): number {
  let ops = 0;
  let sink = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    for (const item of items) if (work(item)) sink++;
    ops += items.length;
  }
  if (sink < 0) console.log(sink);
  return ops / ((performance.now() - started) / 1000);
}

async function asyncRate<T>(items: T[], seconds: number, work: (item: T) => Promise<unknown>) {
  let ops = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    for (const item of items) await work(item);
    ops += items.length;
  }
  return ops / ((performance.now() - started) / 1000);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface MemoryFigures {
  rules: number;
  compileSeconds: number;
  heapUsedMb: number;
  rssMb: number;
  sampleLookupOk: boolean;
}

/** Pages of exact rules as a database driver hands them over: flat strings decoded from a buffer. */
function streamRules(count: number, add: (record: RuleRecord) => void) {
  const page = 20_000;
  for (let offset = 0; offset < count; offset += page) {
    const size = Math.min(page, count - offset);
    const text = Array.from(
      { length: size },
      (_, j) => `${exactSource(offset + j)}\t${exactTarget(offset + j)}`,
    );
    const buffer = Buffer.from(text.join('\n'), 'latin1');
    let at = 0;
    for (let j = 0; j < size; j++) {
      const tab = buffer.indexOf(9, at);
      let end = buffer.indexOf(10, tab);
      if (end === -1) end = buffer.length;
      add({
        source: buffer.toString('latin1', at, tab),
        target: buffer.toString('latin1', tab + 1, end),
        when: 'always',
        status: null,
      });
      at = end + 1;
    }
  }
}

/**
 * Runs in the child: streams `count` exact rules through the builder as a reload does, and measures
 * what stays after a full collection. With `keep` false the same rows are read and dropped: the
 * baseline for what reading them costs, so the difference is what the rules themselves hold.
 */
async function measureMemory(count: number, keep: boolean): Promise<MemoryFigures> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return process.memoryUsage();
  };
  // Warm-up (code loaded, compiled and optimised) before the first measurement.
  const warm = createRuleSetBuilder();
  streamRules(20_000, (r) => warm.add(r));
  warm.build();
  const before = await settle();
  const started = performance.now();
  const builder = keep ? createRuleSetBuilder() : null;
  let read = 0;
  streamRules(count, (record) => {
    read += 1;
    builder?.add(record);
  });
  const matcher = builder?.build() ?? null;
  const compileSeconds = (performance.now() - started) / 1000;
  const after = await settle();
  const sample = matcher?.find(exactSource(count - 1), () => true);
  const mb = (bytes: number) => bytes / 2 ** 20;
  return {
    rules: matcher ? matcher.size.exact : read,
    compileSeconds,
    heapUsedMb: mb(after.heapUsed - before.heapUsed),
    rssMb: mb(after.rss - before.rss),
    sampleLookupOk: matcher ? sample?.rules.always?.target === exactTarget(count - 1) : true,
  };
}

async function memoryChild(keep: boolean): Promise<MemoryFigures> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', here, 'memory-child', String(MEMORY_RULES), keep ? 'keep' : 'drop'],
    { cwd: root, maxBuffer: 1 << 20, timeout: 10 * 60_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as MemoryFigures;
}

export async function benchUrlRules(): Promise<string[]> {
  const out: string[] = [];
  out.push(
    `### URL rules: ${EXACT.toLocaleString('en-US')} exact rules, ${PATTERNS} patterns, 4 prefixes (in process, one thread)`,
  );
  out.push('');

  const records = ruleRecords();
  const compileStarted = performance.now();
  const matcher = compileRules(records);
  const compileMs = performance.now() - compileStarted;
  const paths = samplePaths(50_000);
  const baselineMap = new Map(records.map((r) => [r.source, r.target]));
  const accept = () => true;

  // Warm-up, then each measure twice, interleaved; the better of each is kept.
  rate(paths, 0.5, (p) => baselineMap.get(p));
  rate(paths, 0.5, (p) => matcher.find(p, accept));
  let mapRate = 0;
  let findRate = 0;
  for (let round = 0; round < 2; round++) {
    mapRate = Math.max(
      mapRate,
      rate(paths, 2, (p) => baselineMap.get(p)),
    );
    findRate = Math.max(
      findRate,
      rate(paths, 2, (p) => matcher.find(p, accept)),
    );
  }

  // Whole decisions through the router, rules loaded from an in-memory database.
  const database = await createDb({ dataDir: 'memory://' });
  let routeRate = 0;
  let reloadMs = 0;
  try {
    await database.migrate();
    for (let i = 0; i < records.length; i += 10_000) {
      const chunk = records.slice(i, i + 10_000);
      await database.db.execute(sql`
        insert into url_rules (kind, source, target, "when", status, position)
        select * from unnest(
          ${pgArray(chunk.map((r) => (r.source.includes('/:') ? 'pattern' : r.source.endsWith('*') ? 'prefix' : 'exact')))}::text[],
          ${pgArray(chunk.map((r) => r.source))}::text[], ${pgArray(chunk.map((r) => r.target))}::text[],
          ${pgArray(chunk.map((r) => r.when))}::text[], ${pgArray(chunk.map((r) => r.status))}::int[],
          ${pgArray(chunk.map((r) => r.position ?? 0))}::int[])`);
    }
    const router = createUrlRouter({
      db: database.db,
      config: {
        publicUrl: 'https://portal.example.org',
        platforms: { newUrl: 'https://app.newplatform.example', legacyUrl: 'https://legacy.example.org' },
      },
    });
    try {
      const reloadStarted = performance.now();
      await router.reload();
      reloadMs = performance.now() - reloadStarted;
      const patient = { cohortPhase: 'cut_over' as const, cohortFinal: false };
      const inputs = paths.slice(0, 20_000).map((p, i) => ({
        path: p,
        search: i % 3 === 0 ? '?utm_source=email&lang=es' : '',
        method: 'GET',
        patient,
        hops: 0,
      }));
      await asyncRate(inputs, 0.5, (input) => router.route(input));
      for (let round = 0; round < 2; round++)
        routeRate = Math.max(routeRate, await asyncRate(inputs, 2, (input) => router.route(input)));
    } finally {
      await router.close();
    }
  } finally {
    await database.close();
  }

  const findRatio = findRate / mapRate;
  const routeRatio = routeRate / mapRate;
  out.push('| measure | figure | baseline (same run) | ratio |');
  out.push('| --- | ---: | --- | ---: |');
  out.push(
    `| rule lookups (\`find\`) /s | ${fmt(findRate)} (${((1e6 / findRate) * 1000).toFixed(0)} ns each) | \`Map.get\` of the same paths ${fmt(mapRate)} /s | ${(findRatio * 100).toFixed(1)} % |`,
  );
  out.push(
    `| whole decisions (\`router.route()\`) /s | ${fmt(routeRate)} (${(1e6 / routeRate).toFixed(1)} µs each) | \`Map.get\` ${fmt(mapRate)} /s | ${(routeRatio * 100).toFixed(1)} % |`,
  );
  out.push(
    `| compile ${fmt(records.length)} rules | ${compileMs.toFixed(0)} ms | — | — |`,
    `| reload ${fmt(records.length)} rules from the database (PGlite, in memory) | ${reloadMs.toFixed(0)} ms | — | — |`,
  );
  out.push('');
  out.push(
    `Paths: 60 % exact hits, 25 % pattern hits (the ${PATTERNS} patterns are kept in order and indexed by their first segment), 15 % prefixes (after the patterns are passed over). A decision normalises the path, picks by the patient's cohort, renders the target, merges the query string and checks the destination's origin. The HTTP comparison (issue 6: the catch-all at ≥ 50 % of a bare Remix resource route's requests per second) is measured with the server; one decision costing ${(1e6 / routeRate).toFixed(1)} µs is a small part of a request.`,
  );
  out.push('');

  out.push(
    `### URL rules: memory added by ${MEMORY_RULES.toLocaleString('en-US')} exact rules (child processes with \`causeway serve\`'s V8 defaults, after a full GC)`,
  );
  out.push('');
  const kept = await memoryChild(true);
  const dropped = await memoryChild(false);
  if (!kept.sampleLookupOk || kept.rules !== MEMORY_RULES || dropped.rules !== MEMORY_RULES)
    throw new Error(`the memory children went wrong: ${JSON.stringify({ kept, dropped })}`);
  const heapAdded = kept.heapUsedMb - dropped.heapUsedMb;
  const rssAdded = kept.rssMb - dropped.rssMb;
  const worst = Math.max(heapAdded, rssAdded);
  out.push(
    '| measure | rules compiled and kept | baseline: same rows read and dropped | added by the rules | target |',
  );
  out.push('| --- | ---: | ---: | ---: | --- |');
  out.push(
    `| heap after GC, MB | ${kept.heapUsedMb.toFixed(0)} | ${dropped.heapUsedMb.toFixed(0)} | ${heapAdded.toFixed(0)} | — |`,
  );
  out.push(
    `| RSS growth, MB | ${kept.rssMb.toFixed(0)} | ${dropped.rssMb.toFixed(0)} | ${rssAdded.toFixed(0)} | ≤ ${MEMORY_LIMIT_MB} MB (heap and RSS) ${worst <= MEMORY_LIMIT_MB ? 'met' : 'MISSED'} |`,
  );
  out.push(
    `| time, s | ${kept.compileSeconds.toFixed(1)} | ${dropped.compileSeconds.toFixed(1)} | ${(kept.compileSeconds - dropped.compileSeconds).toFixed(1)} | — |`,
  );
  out.push('');
  out.push(
    `Rules like \`${exactSource(123_456)}\` → \`${exactTarget(123_456)}\`, streamed in pages of 20,000 as a reload reads them. Each keeps its source string (the map key), its target string and one small integer; longer paths cost their extra characters.`,
  );
  out.push('');
  return out;
}

if (process.argv[1] === here && process.argv[2] === 'memory-child') {
  console.log(JSON.stringify(await measureMemory(Number(process.argv[3]), process.argv[4] === 'keep')));
}
