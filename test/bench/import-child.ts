// One import in a process of its own, so its peak memory is its own: prints a JSON line of figures.
import { randomBytes } from 'node:crypto';
import { createDb } from '../../db/client.ts';
import { createFieldCipher } from '../../identity/encryption.ts';
import { importPatients } from '../../identity/import/import-patients.ts';

const [file, target, batch] = process.argv.slice(2);
const database = await createDb(
  target!.startsWith('postgres') ? { url: target, poolSize: 2 } : { dataDir: target! },
);
await database.migrate();
const started = performance.now();
const summary = await importPatients(
  { db: database.db, cipher: createFieldCipher(randomBytes(32).toString('base64url')) },
  {
    file: file!,
    format: 'csv',
    dryRun: false,
    defaultRegion: 'US',
    defaultTimeZone: 'America/New_York',
    startedBy: 'cli',
    batchSize: Number(batch ?? 2000),
  },
);
const seconds = (performance.now() - started) / 1000;
await database.close();
console.log(
  JSON.stringify({
    seconds,
    rows: summary.rows,
    byOutcome: summary.byOutcome,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
