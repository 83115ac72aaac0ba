// Signing keys (RS256, generated with jose) and the provider's cookie keys, sealed at rest.
// Rotation publishes the new signing key before it signs, and keeps the old one published until every
// token it signed has expired.
import { createHash, randomBytes } from 'node:crypto';
import { asc, desc, eq, isNull, and, lte, sql } from 'drizzle-orm';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { appendAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import { oidcKeys } from '../../db/schema/index.ts';
import type { FieldCipher } from '../encryption.ts';

export const SIGNING_ALG = 'RS256';
/** Cookie keys kept for verification after a rotation (the newest signs). */
const COOKIE_KEYS_KEPT = 3;

async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: SIGNING_ALG, use: 'sig' };
}

function newCookieKey() {
  const secret = randomBytes(32).toString('base64url');
  return { kid: `cookie-${createHash('sha256').update(secret).digest('base64url').slice(0, 16)}`, secret };
}

/** Creates the first signing key and cookie key when there are none (first start, demo, tests). */
export async function ensureKeys(db: Db, cipher: FieldCipher): Promise<void> {
  const existing = await db.select({ use: oidcKeys.use }).from(oidcKeys);
  if (!existing.some((k) => k.use === 'sig')) {
    const jwk = await newSigningKey();
    await db
      .insert(oidcKeys)
      .values({ kid: jwk.kid!, use: 'sig', sealed: cipher.encrypt(JSON.stringify(jwk)) })
      .onConflictDoNothing();
  }
  if (!existing.some((k) => k.use === 'cookie')) {
    const key = newCookieKey();
    await db.insert(oidcKeys).values({ kid: key.kid, use: 'cookie', sealed: cipher.encrypt(key.secret) });
  }
}

export interface RotationResult {
  kid: string;
  signsFrom: Date;
  retiring: string[];
}

/**
 * Adds a signing key that is published now and signs from `now + publishLeadMs`, so relying parties
 * that cache the key set see it before the first token it signs; current keys retire at that moment.
 */
export async function rotateSigningKey(
  db: Db,
  cipher: FieldCipher,
  options: { publishLeadMs: number; now?: Date },
): Promise<RotationResult> {
  const now = options.now ?? new Date();
  const jwk = await newSigningKey();
  const signsFrom = new Date(now.getTime() + options.publishLeadMs);
  return db.transaction(async (tx) => {
    const retiring = await tx
      .update(oidcKeys)
      .set({ retiresAt: signsFrom })
      .where(and(eq(oidcKeys.use, 'sig'), isNull(oidcKeys.retiresAt)))
      .returning({ kid: oidcKeys.kid });
    await tx.insert(oidcKeys).values({
      kid: jwk.kid!,
      use: 'sig',
      sealed: cipher.encrypt(JSON.stringify(jwk)),
      createdAt: now,
      signsFrom,
    });
    await appendAudit(tx, {
      action: 'oidc.signing_key_rotated',
      actorType: 'system',
      subjectType: 'oidc_key',
      subjectId: jwk.kid!,
      data: { signsFrom: signsFrom.toISOString(), retiring: retiring.map((r) => r.kid) },
    });
    return { kid: jwk.kid!, signsFrom, retiring: retiring.map((r) => r.kid) };
  });
}

/** Adds a cookie key that signs from now; the previous ones still verify until pushed out. */
export async function rotateCookieKey(db: Db, cipher: FieldCipher): Promise<string> {
  const key = newCookieKey();
  await db.transaction(async (tx) => {
    await tx.insert(oidcKeys).values({ kid: key.kid, use: 'cookie', sealed: cipher.encrypt(key.secret) });
    const keep = await tx
      .select({ kid: oidcKeys.kid })
      .from(oidcKeys)
      .where(eq(oidcKeys.use, 'cookie'))
      .orderBy(desc(oidcKeys.createdAt))
      .limit(COOKIE_KEYS_KEPT);
    await tx.delete(oidcKeys).where(
      and(
        eq(oidcKeys.use, 'cookie'),
        sql`${oidcKeys.kid} not in (${sql.join(
          keep.map((k) => sql`${k.kid}`),
          sql`, `,
        )})`,
      ),
    );
    await appendAudit(tx, {
      action: 'oidc.cookie_key_rotated',
      actorType: 'system',
      subjectType: 'oidc_key',
      subjectId: key.kid,
      data: {},
    });
  });
  return key.kid;
}

export interface KeySet {
  /** Private JWKs for the provider: the current signer first, then keys published but not signing. */
  jwks: JWK[];
  /** Cookie keys, newest (signing) first. */
  cookieKeys: string[];
  /** Changes whenever either list changes. */
  fingerprint: string;
}

/**
 * The keys in force at `now`. A retired signing key stays published for `keepAfterRetireMs` (the
 * longest lifetime of a token it signed), then is deleted.
 */
export async function loadKeySet(
  db: Db,
  cipher: FieldCipher,
  options: { now?: Date; keepAfterRetireMs: number },
): Promise<KeySet> {
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - options.keepAfterRetireMs);
  await db.delete(oidcKeys).where(and(eq(oidcKeys.use, 'sig'), lte(oidcKeys.retiresAt, cutoff)));
  const rows = await db.select().from(oidcKeys).orderBy(desc(oidcKeys.signsFrom), asc(oidcKeys.kid));
  const sig = rows.filter((r) => r.use === 'sig');
  // The signer: the newest key whose time has come. Keys not yet signing follow it.
  const signer = sig.find((r) => r.signsFrom <= now) ?? sig.at(-1);
  const ordered = signer ? [signer, ...sig.filter((r) => r !== signer)] : [];
  const jwks = ordered.map((r) => JSON.parse(cipher.decrypt(r.sealed)) as JWK);
  const cookieRows = rows
    .filter((r) => r.use === 'cookie')
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const cookieKeys = cookieRows.map((r) => cipher.decrypt(r.sealed));
  const fingerprint = [...ordered.map((r) => r.kid), '|', ...cookieRows.map((r) => r.kid)].join(',');
  return { jwks, cookieKeys, fingerprint };
}
