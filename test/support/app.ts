// Starts the real server (Express + the built portal) on a loopback port, on a private test database.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../infra/env.ts';
import { createLogger } from '../../infra/logger.ts';
import { addOidc, createApp, listen, loadBuild, wireServices } from '../../server.ts';
import type { AppServices } from '../../app/services.server.ts';
import { openTestDatabase, type TestDatabase } from './db.ts';
import { freePort } from './http.ts';

export const testSecrets = {
  SESSION_SECRET: randomBytes(32).toString('base64url'),
  DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
};

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATA_DIR: '/nonexistent-test-data',
    ...testSecrets,
    ...env,
  });
}

/** A clock tests can move forward. */
export function testClock(start = Date.now()) {
  let current = start;
  return {
    now: () => new Date(current),
    advance(ms: number) {
      current += ms;
    },
  };
}

export interface TestApp {
  url: string;
  services: AppServices;
  database: TestDatabase;
  /** Every JSON log line the server wrote. */
  logs: string[];
  clock: ReturnType<typeof testClock>;
  close(): Promise<void>;
}

export async function startTestApp(
  env: Record<string, string> = {},
  options: { realClock?: boolean } = {},
): Promise<TestApp> {
  const database = await openTestDatabase();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const clock = testClock();
  // The issuer is the public URL, so the port is chosen before the server starts.
  const port = await freePort();
  const config = testConfig({ PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, ...env });
  const services = await addOidc(
    wireServices(config, database, createLogger({ level: 'info' }, sink), {
      now: options.realClock ? undefined : clock.now,
    }),
  );
  const app = createApp({ services, build: await loadBuild() });
  const running = await listen(app, services, port, '127.0.0.1');
  return { url: running.url, services, database, logs, clock, close: () => running.close() };
}

export { csrfFrom, freePort, TestBrowser } from './http.ts';
