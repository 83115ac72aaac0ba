import { index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { patients } from './patients.ts';

// One request for a sign-in link or code: the token and the code are stored only as keyed hashes,
// and the row is consumed once (by whichever of the two the patient uses) by a conditional update.
export const signInTokens = pgTable(
  'sign_in_tokens',
  {
    id: uuid().primaryKey().defaultRandom(),
    patientId: uuid()
      .notNull()
      .references(() => patients.id, { onDelete: 'cascade' }),
    // What the token may do; part of both hashes, so a token for one purpose never works for another.
    purpose: text({ enum: ['sign_in'] }).notNull(),
    channel: text({ enum: ['email', 'sms'] }).notNull(),
    // HMAC of the link token (email only).
    linkHash: text(),
    // HMAC of the normalised identifier and the short code: a code works only with the address it went to.
    codeKey: text().notNull(),
    // The OIDC interaction the request came from, and its client (to continue on another device).
    interactionUid: text(),
    clientId: text(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    consumedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('sign_in_tokens_link_hash_key').on(t.linkHash),
    index('sign_in_tokens_code_key_idx').on(t.codeKey),
    index('sign_in_tokens_patient_idx').on(t.patientId),
    index('sign_in_tokens_expires_idx').on(t.expiresAt),
  ],
);

// Opaque legacy magic-link tokens, imported with `causeway import legacy-links` (hashes only).
export const legacyLinks = pgTable(
  'legacy_links',
  {
    // SHA-256 (hex) of the token as the legacy platform issued it.
    tokenHash: text().primaryKey(),
    legacyId: text().notNull(),
    expiresAt: timestamp({ withTimezone: true }),
    consumedAt: timestamp({ withTimezone: true }),
    importedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('legacy_links_legacy_id_idx').on(t.legacyId)],
);

// Legacy JWT links redeemed here: the row's existence is the "used" mark (insert-if-absent).
export const legacyLinkRedemptions = pgTable('legacy_link_redemptions', {
  // `jti:<jti>` when the token has one, else `sha256:<hash of the token>`.
  key: text().primaryKey(),
  patientId: uuid().references(() => patients.id, { onDelete: 'set null' }),
  redeemedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  // After this the token is expired anyway, and the row may be pruned.
  keepUntil: timestamp({ withTimezone: true }).notNull(),
});

export type SignInToken = typeof signInTokens.$inferSelect;
export type LegacyLink = typeof legacyLinks.$inferSelect;
