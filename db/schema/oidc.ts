import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
  jsonb,
} from 'drizzle-orm/pg-core';
import { patients } from './patients.ts';

// Everything oidc-provider stores (sessions, interactions, codes, tokens, grants): one row per artifact,
// its JSON payload, and the columns the provider looks artifacts up by.
export const oidcPayloads = pgTable(
  'oidc_payloads',
  {
    model: text().notNull(),
    id: text().notNull(),
    payload: jsonb().notNull(),
    grantId: text(),
    userCode: text(),
    uid: text(),
    expiresAt: timestamp({ withTimezone: true }),
    // Set once, by a conditional update: a code or refresh token is redeemed by exactly one request.
    consumedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.model, t.id] }),
    index('oidc_payloads_grant_idx').on(t.grantId),
    index('oidc_payloads_uid_idx').on(t.uid),
    index('oidc_payloads_expires_idx').on(t.expiresAt),
  ],
);

// Relying parties registered with `causeway clients add`; the secret is sealed with the data key.
export const oidcClients = pgTable('oidc_clients', {
  clientId: text().primaryKey(),
  name: text().notNull(),
  type: text({ enum: ['confidential', 'public'] }).notNull(),
  // First-party clients (the new platform itself) skip the consent screen.
  firstParty: boolean().notNull().default(false),
  secretSealed: text(),
  redirectUris: text().array().notNull(),
  postLogoutRedirectUris: text()
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
  initiateLoginUri: text(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

// Signing keys (use 'sig', a private JWK) and cookie keys (use 'cookie'), sealed with the data key.
// A signing key is published from creation, signs from `signsFrom`, and stays published until
// `retiresAt` plus the longest token lifetime, so tokens it signed can still be checked.
export const oidcKeys = pgTable('oidc_keys', {
  kid: text().primaryKey(),
  use: text({ enum: ['sig', 'cookie'] }).notNull(),
  sealed: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  signsFrom: timestamp({ withTimezone: true }).notNull().defaultNow(),
  retiresAt: timestamp({ withTimezone: true }),
});

// A patient's session on the portal itself (cookie `cw_patient`), which also carries them through the
// provider's sign-in interaction without asking again.
export const patientSessions = pgTable(
  'patient_sessions',
  {
    id: uuid().primaryKey().defaultRandom(),
    // SHA-256 of the cookie token.
    tokenHash: text().notNull().unique(),
    patientId: uuid()
      .notNull()
      .references(() => patients.id, { onDelete: 'cascade' }),
    // How the patient proved themself (an OIDC `amr` value: pwd, legacy_pwd, …).
    amr: text().notNull(),
    // The first-sign-in welcome step is still to be shown (or skipped).
    welcomePending: boolean().notNull().default(false),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('patient_sessions_patient_idx').on(t.patientId)],
);

// rate-limiter-flexible's table (RateLimiterDrizzle): shared by every process, survives restarts.
export const rateLimits = pgTable('rate_limits', {
  key: text().primaryKey(),
  points: integer().notNull(),
  expire: timestamp({ withTimezone: true }),
});

export type OidcClient = typeof oidcClients.$inferSelect;
export type PatientSession = typeof patientSessions.$inferSelect;
