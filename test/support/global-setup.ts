// Once per test run: build the portal, and migrate one golden database that every test file clones.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDb } from '../../db/client.ts';

const root = path.resolve(import.meta.dirname, '../..');

export default async function setup(project: TestProject) {
  // flock: two test runs started side by side build one after the other, not into each other's files.
  execFileSync(
    'flock',
    [
      path.join(os.tmpdir(), 'causeway-build.lock'),
      process.execPath,
      path.join(root, 'node_modules/@remix-run/dev/dist/cli.js'),
      'vite:build',
      '--logLevel',
      'error',
    ],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );

  const url = process.env.DATABASE_URL;
  if (url) {
    const golden = `causeway_golden_${process.pid}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${golden}`);
    await admin.query(`CREATE DATABASE ${golden}`);
    const goldenUrl = new URL(url);
    goldenUrl.pathname = `/${golden}`;
    const handle = await createDb({ url: goldenUrl.toString(), poolSize: 1 });
    await handle.migrate();
    await handle.close();
    project.provide('goldenPostgres', golden);
    project.provide('goldenPglite', '');
    return async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${golden} WITH (FORCE)`);
      await admin.end();
    };
  }

  const dir = mkdtempSync(path.join(os.tmpdir(), 'causeway-golden-'));
  const handle = await createDb({ dataDir: 'memory://' });
  await handle.migrate();
  const image = await handle.pglite!.dumpDataDir('none');
  await handle.close();
  const file = path.join(dir, 'golden.tar');
  writeFileSync(file, Buffer.from(await image.arrayBuffer()));
  project.provide('goldenPglite', file);
  project.provide('goldenPostgres', '');
  return () => rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    goldenPglite: string;
    goldenPostgres: string;
  }
}
