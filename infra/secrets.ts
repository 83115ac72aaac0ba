// Secrets for the embedded default: generated once into DATA_DIR/secrets.json (mode 0600).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const secretNames = ['SESSION_SECRET', 'DATA_ENCRYPTION_KEY'] as const;
export type SecretName = (typeof secretNames)[number];
export type Secrets = Record<SecretName, string>;

function generate(): Secrets {
  return {
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  };
}

/** Reads DATA_DIR/secrets.json, creating it (and filling any missing entry) the first time. */
export function loadOrCreateLocalSecrets(dataDir: string): Secrets {
  const file = path.join(dataDir, 'secrets.json');
  let stored: Partial<Secrets> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Secrets>;
  const fresh = generate();
  const merged = { ...fresh, ...stored } as Secrets;
  const missing = secretNames.some((name) => !stored[name]);
  if (missing) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(merged, null, 2) + '\n', { mode: 0o600 });
  }
  // An older file may have been created with a looser mode.
  chmodSync(file, 0o600);
  return merged;
}
