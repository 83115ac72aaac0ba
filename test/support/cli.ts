// The `causeway` command as an operator runs it, for tests: each command a child process, on this test
// file's own database (a PGlite directory of its own, or a PostgreSQL clone when DATABASE_URL is set).
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createDb } from '../../db/client.ts';
import { testSecrets } from './app.ts';
import { openTestDatabase, type TestDatabase } from './db.ts';

export const root = path.resolve(import.meta.dirname, '../..');
export const bin = path.join(root, 'bin/causeway.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Registers the file's setup and teardown; the returned values are ready inside tests. */
export function cliHarness(tempPrefix: string) {
  let dataDir = '';
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), tempPrefix));
    if (process.env.DATABASE_URL) database = await openTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const base: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...testSecrets,
    };
    if (database?.url) base.DATABASE_URL = database.url;
    return { ...base, ...extra };
  }

  return {
    get dataDir() {
      return dataDir;
    },
    get database() {
      return database;
    },
    env,
    /** Runs the command without blocking the test worker; resolves with its exit code and output. */
    causeway(args: string[], extra: Record<string, string> = {}): Promise<CliResult> {
      return new Promise((resolve) => {
        execFile(
          process.execPath,
          [bin, ...args],
          { cwd: root, env: env(extra), encoding: 'utf8', timeout: 60_000 },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
            resolve({ code, stdout, stderr });
          },
        );
      });
    },
    /** Opens what the CLI used (PGlite under DATA_DIR, or the PostgreSQL clone) for a direct look. */
    openCliDatabase() {
      return database?.url
        ? createDb({ url: database.url, poolSize: 1 })
        : createDb({ dataDir: path.join(dataDir, 'pglite') });
    },
  };
}
