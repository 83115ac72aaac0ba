// What the sign-in benchmarks share: patients as they are after their first sign-in (an argon2id hash
// at OWASP parameters), a first-party client, the server's settings, and the client's discovery.
import { randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import * as oidc from 'openid-client';
import { createDb } from '../../db/client.ts';
import { patientCredentials, patients } from '../../db/schema/index.ts';
import { createFieldCipher } from '../../identity/encryption.ts';
import { addClient } from '../../identity/oidc/clients.ts';
import { argon2idParams } from '../../identity/passwords.ts';
import { REDIRECT_URI } from '../support/authorization.ts';
import { freePort } from '../support/http.ts';

export async function seedSignInBench(options: {
  databaseUrl: string;
  password: string;
  patients: number;
  /** Patient i has legacy id `${prefix}-${i}` and email `${prefix}${i}@example.org`. */
  prefix: string;
  env?: Record<string, string>;
}) {
  const key = randomBytes(32).toString('base64url');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    DATABASE_URL: options.databaseUrl,
    DATA_ENCRYPTION_KEY: key,
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    PUBLIC_URL: base,
    SIGN_IN_ATTEMPTS_PER_ADDRESS: '1000000',
    SIGN_IN_MAX_CONCURRENT: '64',
    DATABASE_POOL_SIZE: '20',
    ...options.env,
  };
  const database = await createDb({ url: options.databaseUrl });
  await database.migrate();
  const encoded = await hash(options.password, argon2idParams);
  const rows = await database.db
    .insert(patients)
    .values(
      Array.from({ length: options.patients }, (_, i) => ({
        legacyId: `${options.prefix}-${i}`,
        email: `${options.prefix}${i}@example.org`,
        emailNormalized: `${options.prefix}${i}@example.org`,
        givenName: 'Bench',
        state: 'bridged' as const,
        bridgedAt: new Date(),
      })),
    )
    .onConflictDoNothing()
    .returning({ id: patients.id });
  await database.db
    .insert(patientCredentials)
    .values(rows.map((r) => ({ patientId: r.id, family: 'argon2id', encoded, origin: 'causeway' as const })))
    .onConflictDoNothing();
  const client = await addClient(database.db, createFieldCipher(key), {
    name: 'Bench platform',
    redirectUris: [REDIRECT_URI],
    type: 'confidential',
    firstParty: true,
  });
  await database.close();
  const email = (i: number) => `${options.prefix}${i}@example.org`;
  return {
    env,
    port,
    base,
    encoded,
    email,
    /** The client's view of the provider, once the server is up. */
    discover: () =>
      oidc.discovery(
        new URL(`${base}/oidc`),
        client.clientId,
        undefined,
        oidc.ClientSecretBasic(client.clientSecret!),
        { execute: [oidc.allowInsecureRequests] },
      ),
  };
}
