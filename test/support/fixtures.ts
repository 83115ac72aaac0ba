// The sample legacy export (copied from ../shared/fixtures) and importing it as the CLI would.
import path from 'node:path';
import type { Db } from '../../db/client.ts';
import type { FieldCipher } from '../../identity/encryption.ts';
import { importPatients } from '../../identity/import/import-patients.ts';

export const sampleExport = path.resolve(import.meta.dirname, '../fixtures/legacy-export-sample.csv');

/** Imports the sample export (US numbers, New York time) and returns the run's summary. */
export function importSampleExport(deps: { db: Db; cipher: FieldCipher }) {
  return importPatients(deps, {
    file: sampleExport,
    format: 'csv',
    dryRun: false,
    defaultRegion: 'US',
    defaultTimeZone: 'America/New_York',
    startedBy: 'cli',
  });
}
