// A small pool of worker threads for hash algorithms written in JavaScript (crypt(3), phpass): their
// loops never run on the event loop. Native hashers (bcrypt, argon2, node:crypto) need no pool.
import os from 'node:os';
import { Piscina } from 'piscina';
import type { OffThreadTask } from './worker.ts';

let pool: Piscina | undefined;

function getPool(): Piscina {
  pool ??= new Piscina({
    filename: new URL('./worker.ts', import.meta.url).href,
    minThreads: 1,
    maxThreads: Math.max(1, os.availableParallelism()),
    idleTimeout: 30_000,
  });
  return pool;
}

/** Recomputes `encoded` for `password` on a worker thread; null when the encoding is unusable. */
export async function computeOffThread(
  kind: OffThreadTask['kind'],
  password: string,
  encoded: string,
): Promise<string | null> {
  return (await getPool().run({ kind, password, encoded } satisfies OffThreadTask)) as string | null;
}

/** Stops the worker threads (at shutdown, and after tests). */
export async function closeOffThreadPool(): Promise<void> {
  const current = pool;
  pool = undefined;
  await current?.destroy();
}
