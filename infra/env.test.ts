import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './env.ts';

describe('configuration', () => {
  it('refuses production without secrets and a database, naming each missing variable in one message', () => {
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'Causeway cannot start: NODE_ENV=production needs these environment variables set: SESSION_SECRET, DATA_ENCRYPTION_KEY, DATABASE_URL.',
    );
  });

  it('names only what is missing', () => {
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        SESSION_SECRET: 'x'.repeat(40),
        DATABASE_URL: 'postgres://u:p@db/causeway',
      }),
    ).toThrow('needs these environment variables set: DATA_ENCRYPTION_KEY.');
  });

  it('names every malformed variable', () => {
    expect(() =>
      loadConfig({ PORT: 'eighty', BRAND_PRIMARY_COLOR: 'blue', DATABASE_URL: 'mysql://x' }),
    ).toThrow(
      'Causeway cannot start: PORT must be a port number; DATABASE_URL must be a postgres:// URL; BRAND_PRIMARY_COLOR must be a color like #0b5cad.',
    );
  });

  it('starts in production with everything given', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      SESSION_SECRET: 's'.repeat(43),
      DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64url'),
      DATABASE_URL: 'postgres://u:p@db:5432/causeway',
      PUBLIC_URL: 'https://portal.example.org/',
      TRUST_PROXY: '1',
    });
    expect(config.publicUrl).toBe('https://portal.example.org');
    expect(config.secure).toBe(true);
    expect(config.trustProxy).toBe(1);
  });

  it('generates secrets once into DATA_DIR/secrets.json with mode 0600 and reuses them', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'causeway-env-'));
    const first = loadConfig({ DATA_DIR: dir });
    const file = path.join(dir, 'secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadConfig({ DATA_DIR: dir });
    expect(second.secrets).toEqual(first.secrets);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(first.secrets);
    expect(Buffer.from(first.secrets.DATA_ENCRYPTION_KEY, 'base64url')).toHaveLength(32);
  });
});
