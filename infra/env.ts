// The one place that reads process.env: every variable is parsed and checked here, once.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { defaultBrand, type Brand } from '../emails/brand.ts';
import { loadOrCreateLocalSecrets, secretNames, type Secrets } from './secrets.ts';

const positiveInt = z.coerce
  .number({ invalid_type_error: 'must be a whole number' })
  .int('must be a whole number')
  .positive('must be above 0');
const positiveNumber = z.coerce
  .number({ invalid_type_error: 'must be a number' })
  .positive('must be above 0');
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
const hexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a color like #0b5cad');
const key32 = z
  .string()
  .refine(
    (v) => Buffer.from(v, 'base64url').length === 32,
    'must be 32 random bytes, base64url-encoded (openssl rand -base64 32 | tr "+/" "-_" | tr -d "=")',
  );

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce
    .number({ invalid_type_error: 'must be a port number' })
    .int('must be a port number')
    .min(0, 'must be a port number')
    .max(65535, 'must be a port number')
    .default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: z.string().url('must be a full URL such as https://portal.example.org').optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  // Express "trust proxy": false, true, a hop count, or a list of addresses/subnets.
  TRUST_PROXY: z.string().default('false'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 random characters').optional(),
  DATA_ENCRYPTION_KEY: key32.optional(),
  STAFF_IDLE_TIMEOUT_MINUTES: positiveInt.default(15),
  STAFF_IDLE_WARNING_SECONDS: positiveInt.default(120),
  STAFF_SESSION_MAX_HOURS: positiveInt.default(12),
  STAFF_LOCKOUT_THRESHOLD: positiveInt.default(5),
  STAFF_LOCKOUT_MINUTES: positiveInt.default(15),
  BRAND_NAME: z.string().min(1).optional(),
  BRAND_LOGO_URL: z.string().optional(),
  BRAND_PRIMARY_COLOR: hexColor.optional(),
  BRAND_ACCENT_COLOR: hexColor.optional(),
  BRAND_SUPPORT_PHONE: z.string().min(3).optional(),
  BRAND_LEGAL_FOOTER: z.string().optional(),
  METRICS_TOKEN: z.string().min(16).optional(),
  PHONE_DEFAULT_REGION: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be a two-letter country code such as US')
    .default('US'),
  LEGACY_VERIFY_URL: z
    .string()
    .url('must be a full URL such as https://legacy.example.org/verify')
    .optional(),
  LEGACY_VERIFY_SECRET: z.string().min(32, 'must be at least 32 random characters').optional(),
  LEGACY_VERIFY_TIMEOUT_MS: positiveInt.default(3_000),
  LEGACY_VERIFY_FAILURE_THRESHOLD: positiveInt.default(5),
  LEGACY_VERIFY_COOLDOWN_SECONDS: positiveInt.default(30),
  NEW_PLATFORM_FHIR_BASE_URL: z
    .string()
    .url('must be a full URL such as https://fhir.example.org/r4')
    .optional(),
  OIDC_KEY_PUBLISH_MINUTES: z.coerce
    .number({ invalid_type_error: 'must be a number of minutes' })
    .min(0, 'must be 0 or more')
    .default(15),
  PATIENT_SESSION_HOURS: positiveInt.default(12),
  SIGN_IN_ATTEMPTS_PER_ADDRESS: positiveInt.default(60),
  SIGN_IN_FAILURES_PER_IDENTIFIER: positiveInt.default(10),
  SIGN_IN_LOCK_MINUTES: positiveInt.default(15),
  SIGN_IN_MAX_CONCURRENT: positiveInt.default(32),
  STANDIN_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  // The two platforms URL rules may send a patient to ({new} and {legacy} in a rule's target).
  NEW_PLATFORM_URL: z.string().url('must be a full URL such as https://app.newplatform.example').optional(),
  LEGACY_PLATFORM_URL: z.string().url('must be a full URL such as https://portal-old.example.org').optional(),
  // Messaging channels: without these, email and SMS go to the outbox table.
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL such as smtps://user:pass@smtp.example.org')
    .optional(),
  MAIL_FROM: z.string().min(3).optional(),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex digits')
    .optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16).optional(),
  TWILIO_MESSAGING_SERVICE_SID: z
    .string()
    .regex(/^MG[0-9a-fA-F]{32}$/, 'must look like MG followed by 32 hex digits')
    .optional(),
  TWILIO_FROM_NUMBER: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +15550100100')
    .optional(),
  // Where the Twilio SDK sends its API calls (a proxy, or a test double on loopback).
  TWILIO_API_BASE_URL: z.string().url().optional(),
  // DKIM signing of outgoing email (optional): the domain, the selector, and the private key (PEM, or
  // a path to a PEM file). The signature covers List-Unsubscribe and List-Unsubscribe-Post.
  DKIM_DOMAIN: z.string().min(3).optional(),
  DKIM_SELECTOR: z.string().min(1).optional(),
  DKIM_PRIVATE_KEY: z.string().min(1).optional(),
  // The mailto: half of List-Unsubscribe (an address whose mail reaches /webhooks/email); without it,
  // only the https one-click link is given.
  MAIL_UNSUBSCRIBE_ADDRESS: z.string().email().optional(),
  // Shared secret the email provider signs its bounce/complaint webhook with (HMAC-SHA256 of the body).
  EMAIL_WEBHOOK_SECRET: z.string().min(16).optional(),
  // Wave sending: messages per second per channel, across every worker (SMS: what the sender allows,
  // about 1/s per long code, 3/s toll-free, more on 10DLC and short codes).
  WAVE_EMAIL_PER_SECOND: positiveNumber.default(50),
  WAVE_SMS_PER_SECOND: positiveNumber.default(1),
  // How many workers' worth of parallel sends one process runs, and the batch each claims.
  WAVE_WORKER_CONCURRENCY: positiveInt.default(20),
  // A claim older than this whose worker is gone is reconciled.
  WAVE_CLAIM_STALE_SECONDS: positiveInt.default(120),
  WAVE_MAX_ATTEMPTS: positiveInt.default(5),
  // Circuit breaker for waves that push people to sign in: over the last window, pause when more
  // than this share of sign-ins fail, or more than this share of deliveries opt out.
  WAVE_BREAKER_WINDOW_MINUTES: positiveInt.default(15),
  WAVE_BREAKER_SIGN_IN_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0.5),
  WAVE_BREAKER_OPT_OUT_RATE: z.coerce.number().min(0).max(1).default(0.02),
  WAVE_BREAKER_MIN_SAMPLE: positiveInt.default(50),
  // The support desk: its business hours (SLA clocks of non-clinical tickets run only inside them),
  // the address patients reply to (a signed token is added to its local part), and mail-in's listener.
  SUPPORT_TIME_ZONE: z
    .string()
    .refine(isTimeZone, 'must be an IANA time zone such as America/New_York')
    .default('America/New_York'),
  SUPPORT_HOURS: z
    .string()
    .regex(
      /^[A-Za-z]{3}(?:-[A-Za-z]{3}|(?:,[A-Za-z]{3})*) \d{1,2}:\d{2}-\d{1,2}:\d{2}$/,
      'must look like Mon-Fri 08:00-18:00',
    )
    .default('Mon-Fri 08:00-18:00'),
  SUPPORT_HOLIDAYS: z
    .string()
    .regex(/^(\d{4}-\d{2}-\d{2})(,\s*\d{4}-\d{2}-\d{2})*$/, 'must be dates such as 2026-12-25,2027-01-01')
    .optional(),
  SUPPORT_REPLY_ADDRESS: z.string().email().optional(),
  SUPPORT_AGENT_CAPACITY: positiveInt.default(8),
  MAIL_IN_HOST: z.string().min(1).default('127.0.0.1'),
  MAIL_IN_PORT: z.coerce.number().int().min(0).max(65_535).default(2525),
  MAIL_IN_TLS_KEY: z.string().min(1).optional(),
  MAIL_IN_TLS_CERT: z.string().min(1).optional(),
  SIGN_IN_LINK_MINUTES: positiveInt.default(15),
  SIGN_IN_LINK_REQUESTS_PER_IDENTIFIER: positiveInt.default(5),
  SIGN_IN_LINK_REQUESTS_PER_ADDRESS: positiveInt.default(30),
  SIGN_IN_LINK_WINDOW_MINUTES: positiveInt.default(60),
  // Legacy bridges (DESIGN §4.5): honoured until the parallel run ends.
  LEGACY_PARALLEL_RUN_ENDS: z
    .string()
    .refine((v) => !Number.isNaN(Date.parse(v)), 'must be a date such as 2027-03-31T23:59:59Z')
    .optional(),
  LEGACY_LINK_PATHS: z.string().optional(),
  LEGACY_LINK_TOKEN_PARAM: z.string().min(1).default('token'),
  ...jwtVerifierVars('LEGACY_LINK', 7 * 24 * 60),
  LEGACY_SESSION_COOKIE: z
    .string()
    .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'must be a cookie name')
    .optional(),
  LEGACY_SESSION_INTROSPECTION_URL: z.string().url('must be a full URL').optional(),
  LEGACY_SESSION_INTROSPECTION_SECRET: z.string().min(16).optional(),
  ...jwtVerifierVars('LEGACY_SESSION', 12 * 60),
});

/** The variables of one legacy JWT verifier (links or sessions). */
function jwtVerifierVars<P extends string>(prefix: P, defaultMaxAgeMinutes: number) {
  return {
    [`${prefix}_JWT_ALGORITHMS`]: z
      .string()
      .regex(
        /^(HS|RS|PS|ES)(256|384|512)(,(HS|RS|PS|ES)(256|384|512))*$|^EdDSA$/,
        'must list JWS algorithms such as HS256,RS256 (never none)',
      )
      .default('HS256'),
    [`${prefix}_JWT_SECRET`]: z.string().min(16, 'must be at least 16 characters').optional(),
    [`${prefix}_JWKS_URL`]: z.string().url('must be a full URL').optional(),
    [`${prefix}_JWT_ISSUER`]: z.string().min(1).optional(),
    [`${prefix}_JWT_AUDIENCE`]: z.string().min(1).optional(),
    [`${prefix}_ID_CLAIM`]: z.string().min(1).default('sub'),
    [`${prefix}_MAX_AGE_MINUTES`]: positiveInt.default(defaultMaxAgeMinutes),
  } as Record<`${P}_JWT_ALGORITHMS` | `${P}_ID_CLAIM`, z.ZodDefault<z.ZodString>> &
    Record<
      `${P}_JWT_SECRET` | `${P}_JWKS_URL` | `${P}_JWT_ISSUER` | `${P}_JWT_AUDIENCE`,
      z.ZodOptional<z.ZodString>
    > &
    Record<`${P}_MAX_AGE_MINUTES`, z.ZodDefault<typeof positiveInt>>;
}

/** How a legacy JWT (a link or a session cookie) is checked. */
export interface LegacyJwtConfig {
  /** Allowed JWS algorithms (`none` never is). */
  algorithms: string[];
  /** Shared secret for HS* algorithms. */
  secret?: string;
  /** The legacy platform's JWKS, for asymmetric algorithms. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Oldest `iat` accepted, even when `exp` is later or absent. */
  maxAgeMs: number;
  /** The claim that carries the legacy account id. */
  idClaim: string;
}

export type TrustProxy = boolean | number | string[];

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl: string;
  /** Whether the public URL is https (cookies get Secure, HSTS is sent). */
  secure: boolean;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  trustProxy: TrustProxy;
  logLevel: string;
  secrets: Secrets;
  staff: {
    idleTimeoutMs: number;
    idleWarningMs: number;
    maxSessionMs: number;
    lockoutThreshold: number;
    lockoutMs: number;
  };
  brand: Brand;
  metricsToken: string | undefined;
  /** Region for phone numbers written without a country code (sign-in, import). */
  phoneDefaultRegion: string;
  /** The legacy platform's delegated password check, when configured. */
  legacyVerify: {
    url: string;
    secret: string;
    timeoutMs: number;
    failureThreshold: number;
    cooldownMs: number;
  } | null;
  oidc: {
    /** The new platform's FHIR base, for the `fhirUser` claim. */
    fhirBaseUrl: string | undefined;
    /** How long a rotated signing key is published before it signs. */
    keyPublishLeadMs: number;
  };
  patientSessionMs: number;
  signInLimits: {
    attemptsPerAddress: number;
    failuresPerIdentifier: number;
    lockMs: number;
    /** Password verifications at once before new attempts get 429 with Retry-After. */
    maxConcurrent: number;
  };
  /** Port of the stand-in new platform that `npm start` runs beside the portal. */
  standinPort: number;
  /** Where URL rules may send patients: the new platform ({new}) and the legacy one ({legacy}). */
  platforms: { newUrl: string; legacyUrl: string | null };
  messaging: {
    /** Real SMTP; without it email goes to the outbox. */
    smtpUrl: string | undefined;
    mailFrom: string;
    /** Real Twilio; without it SMS goes to the outbox. */
    twilio: {
      accountSid: string;
      authToken: string;
      messagingServiceSid: string | undefined;
      fromNumber: string | undefined;
      apiBaseUrl: string | undefined;
    } | null;
  };
  /** Bounce/complaint webhook, unsubscribe mailbox, DKIM. */
  email: {
    dkim: { domainName: string; keySelector: string; privateKey: string } | null;
    unsubscribeAddress: string | undefined;
    webhookSecret: string | undefined;
  };
  waves: {
    emailPerSecond: number;
    smsPerSecond: number;
    concurrency: number;
    claimStaleMs: number;
    maxAttempts: number;
    breaker: { windowMs: number; signInFailureRate: number; optOutRate: number; minSample: number };
  };
  support: {
    timeZone: string;
    /** 'Mon-Fri 08:00-18:00' (parsed where the SLA calendar is built). */
    hours: string;
    holidays: string[];
    /** Replies come back to this address with a signed token after a '+' in its local part. */
    replyAddress: string;
    agentCapacity: number;
    mailIn: { host: string; port: number; tls: { key: string; cert: string } | undefined };
  };
  signInLinks: {
    ttlMs: number;
    requestsPerIdentifier: number;
    requestsPerAddress: number;
    windowMs: number;
  };
  legacyBridge: {
    /** Legacy links and sessions stop working after this moment (null: until configured). */
    parallelRunEndsAt: Date | null;
    /** Legacy magic links: the paths they arrive on; JWT verification when configured, imported tokens always. */
    links: { paths: string[]; tokenParam: string; jwt: LegacyJwtConfig | null } | null;
    /** The legacy platform's session cookie on the shared domain. */
    session: {
      cookieName: string;
      jwt: LegacyJwtConfig | null;
      introspection: { url: string; secret: string | undefined } | null;
      maxAgeMs: number;
    } | null;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Causeway cannot start: ${problems.join('; ')}.`);
    this.name = 'ConfigError';
  }
}

function parseTrustProxy(value: string): TrustProxy {
  if (value === 'true') return true;
  if (value === 'false' || value === '') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((s) => s.trim());
}

/** Parses the environment. Throws one ConfigError naming every missing or malformed variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "not set", as in most deployment tools.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (i) => `${i.path.join('.')} ${i.message.charAt(0).toLowerCase()}${i.message.slice(1)}`,
      ),
    );
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const bridgeProblems = legacyBridgeProblems(e);
  if (bridgeProblems.length > 0) throw new ConfigError(bridgeProblems);
  if (e.LEGACY_VERIFY_URL && !e.LEGACY_VERIFY_SECRET) {
    throw new ConfigError([
      'LEGACY_VERIFY_URL is set, so LEGACY_VERIFY_SECRET must be set too (it signs each request)',
    ]);
  }

  let secrets: Secrets;
  const given = { SESSION_SECRET: e.SESSION_SECRET, DATA_ENCRYPTION_KEY: e.DATA_ENCRYPTION_KEY };
  if (production) {
    const missing: string[] = secretNames.filter((name) => !given[name]);
    if (!e.DATABASE_URL) missing.push('DATABASE_URL');
    if (missing.length > 0) {
      throw new ConfigError([
        `NODE_ENV=production needs these environment variables set: ${missing.join(', ')}`,
      ]);
    }
    secrets = given as Secrets;
  } else {
    const local = secretNames.every((name) => given[name])
      ? (given as Secrets)
      : { ...loadOrCreateLocalSecrets(path.resolve(e.DATA_DIR)), ...stripUndefined(given) };
    secrets = local;
  }

  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    secure: publicUrl.startsWith('https://'),
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    logLevel: e.LOG_LEVEL,
    secrets,
    staff: {
      idleTimeoutMs: e.STAFF_IDLE_TIMEOUT_MINUTES * 60_000,
      idleWarningMs: e.STAFF_IDLE_WARNING_SECONDS * 1000,
      maxSessionMs: e.STAFF_SESSION_MAX_HOURS * 3_600_000,
      lockoutThreshold: e.STAFF_LOCKOUT_THRESHOLD,
      lockoutMs: e.STAFF_LOCKOUT_MINUTES * 60_000,
    },
    brand: {
      name: e.BRAND_NAME ?? defaultBrand.name,
      logoUrl: e.BRAND_LOGO_URL ?? defaultBrand.logoUrl,
      primaryColor: e.BRAND_PRIMARY_COLOR ?? defaultBrand.primaryColor,
      accentColor: e.BRAND_ACCENT_COLOR ?? defaultBrand.accentColor,
      supportPhone: e.BRAND_SUPPORT_PHONE ?? defaultBrand.supportPhone,
      legalFooter: e.BRAND_LEGAL_FOOTER ?? defaultBrand.legalFooter,
    },
    metricsToken: e.METRICS_TOKEN,
    phoneDefaultRegion: e.PHONE_DEFAULT_REGION,
    legacyVerify: e.LEGACY_VERIFY_URL
      ? {
          url: e.LEGACY_VERIFY_URL,
          secret: e.LEGACY_VERIFY_SECRET!,
          timeoutMs: e.LEGACY_VERIFY_TIMEOUT_MS,
          failureThreshold: e.LEGACY_VERIFY_FAILURE_THRESHOLD,
          cooldownMs: e.LEGACY_VERIFY_COOLDOWN_SECONDS * 1000,
        }
      : null,
    oidc: {
      fhirBaseUrl: e.NEW_PLATFORM_FHIR_BASE_URL?.replace(/\/+$/, ''),
      keyPublishLeadMs: e.OIDC_KEY_PUBLISH_MINUTES * 60_000,
    },
    patientSessionMs: e.PATIENT_SESSION_HOURS * 3_600_000,
    signInLimits: {
      attemptsPerAddress: e.SIGN_IN_ATTEMPTS_PER_ADDRESS,
      failuresPerIdentifier: e.SIGN_IN_FAILURES_PER_IDENTIFIER,
      lockMs: e.SIGN_IN_LOCK_MINUTES * 60_000,
      maxConcurrent: e.SIGN_IN_MAX_CONCURRENT,
    },
    standinPort: e.STANDIN_PORT ?? (e.PORT === 0 ? 0 : e.PORT + 1),
    platforms: {
      // Without a real new platform, the stand-in `npm start` runs beside the portal.
      newUrl: (
        e.NEW_PLATFORM_URL ?? `http://localhost:${e.STANDIN_PORT ?? (e.PORT === 0 ? 0 : e.PORT + 1)}`
      ).replace(/\/+$/, ''),
      legacyUrl: e.LEGACY_PLATFORM_URL?.replace(/\/+$/, '') ?? null,
    },
    messaging: {
      smtpUrl: e.SMTP_URL,
      mailFrom:
        e.MAIL_FROM ?? `"${e.BRAND_NAME ?? defaultBrand.name}" <no-reply@${new URL(publicUrl).hostname}>`,
      twilio:
        e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN
          ? {
              accountSid: e.TWILIO_ACCOUNT_SID,
              authToken: e.TWILIO_AUTH_TOKEN,
              messagingServiceSid: e.TWILIO_MESSAGING_SERVICE_SID,
              fromNumber: e.TWILIO_FROM_NUMBER,
              apiBaseUrl: e.TWILIO_API_BASE_URL,
            }
          : null,
    },
    email: {
      dkim:
        e.DKIM_DOMAIN && e.DKIM_SELECTOR && e.DKIM_PRIVATE_KEY
          ? {
              domainName: e.DKIM_DOMAIN,
              keySelector: e.DKIM_SELECTOR,
              privateKey: readPem(e.DKIM_PRIVATE_KEY),
            }
          : null,
      unsubscribeAddress: e.MAIL_UNSUBSCRIBE_ADDRESS,
      webhookSecret: e.EMAIL_WEBHOOK_SECRET,
    },
    waves: {
      emailPerSecond: e.WAVE_EMAIL_PER_SECOND,
      smsPerSecond: e.WAVE_SMS_PER_SECOND,
      concurrency: e.WAVE_WORKER_CONCURRENCY,
      claimStaleMs: e.WAVE_CLAIM_STALE_SECONDS * 1000,
      maxAttempts: e.WAVE_MAX_ATTEMPTS,
      breaker: {
        windowMs: e.WAVE_BREAKER_WINDOW_MINUTES * 60_000,
        signInFailureRate: e.WAVE_BREAKER_SIGN_IN_FAILURE_RATE,
        optOutRate: e.WAVE_BREAKER_OPT_OUT_RATE,
        minSample: e.WAVE_BREAKER_MIN_SAMPLE,
      },
    },
    support: {
      timeZone: e.SUPPORT_TIME_ZONE,
      hours: e.SUPPORT_HOURS,
      holidays: e.SUPPORT_HOLIDAYS ? e.SUPPORT_HOLIDAYS.split(',').map((d) => d.trim()) : [],
      replyAddress: e.SUPPORT_REPLY_ADDRESS ?? `support@${new URL(publicUrl).hostname}`,
      agentCapacity: e.SUPPORT_AGENT_CAPACITY,
      mailIn: {
        host: e.MAIL_IN_HOST,
        port: e.MAIL_IN_PORT,
        tls:
          e.MAIL_IN_TLS_KEY && e.MAIL_IN_TLS_CERT
            ? { key: readPem(e.MAIL_IN_TLS_KEY), cert: readPem(e.MAIL_IN_TLS_CERT) }
            : undefined,
      },
    },
    signInLinks: {
      ttlMs: e.SIGN_IN_LINK_MINUTES * 60_000,
      requestsPerIdentifier: e.SIGN_IN_LINK_REQUESTS_PER_IDENTIFIER,
      requestsPerAddress: e.SIGN_IN_LINK_REQUESTS_PER_ADDRESS,
      windowMs: e.SIGN_IN_LINK_WINDOW_MINUTES * 60_000,
    },
    legacyBridge: {
      parallelRunEndsAt: e.LEGACY_PARALLEL_RUN_ENDS ? new Date(e.LEGACY_PARALLEL_RUN_ENDS) : null,
      links: e.LEGACY_LINK_PATHS
        ? {
            paths: e.LEGACY_LINK_PATHS.split(',')
              .map((p) => p.trim())
              .filter(Boolean),
            tokenParam: e.LEGACY_LINK_TOKEN_PARAM,
            jwt: legacyJwt(e, 'LEGACY_LINK'),
          }
        : null,
      session: e.LEGACY_SESSION_COOKIE
        ? {
            cookieName: e.LEGACY_SESSION_COOKIE,
            jwt: legacyJwt(e, 'LEGACY_SESSION'),
            introspection: e.LEGACY_SESSION_INTROSPECTION_URL
              ? { url: e.LEGACY_SESSION_INTROSPECTION_URL, secret: e.LEGACY_SESSION_INTROSPECTION_SECRET }
              : null,
            maxAgeMs: e.LEGACY_SESSION_MAX_AGE_MINUTES * 60_000,
          }
        : null,
    },
  };
}

type ParsedEnv = z.infer<typeof envSchema>;

function legacyJwt(e: ParsedEnv, prefix: 'LEGACY_LINK' | 'LEGACY_SESSION'): LegacyJwtConfig | null {
  const secret = e[`${prefix}_JWT_SECRET`];
  const jwksUrl = e[`${prefix}_JWKS_URL`];
  if (!secret && !jwksUrl) return null;
  return {
    algorithms: e[`${prefix}_JWT_ALGORITHMS`].split(','),
    secret,
    jwksUrl,
    issuer: e[`${prefix}_JWT_ISSUER`],
    audience: e[`${prefix}_JWT_AUDIENCE`],
    maxAgeMs: e[`${prefix}_MAX_AGE_MINUTES`] * 60_000,
    idClaim: e[`${prefix}_ID_CLAIM`],
  };
}

/** Settings that are each valid but do not work together. */
function legacyBridgeProblems(e: ParsedEnv): string[] {
  const problems: string[] = [];
  for (const prefix of ['LEGACY_LINK', 'LEGACY_SESSION'] as const) {
    const algorithms = e[`${prefix}_JWT_ALGORITHMS`].split(',');
    const symmetric = algorithms.some((a) => a.startsWith('HS'));
    const asymmetric = algorithms.some((a) => !a.startsWith('HS'));
    if (e[`${prefix}_JWT_SECRET`] && e[`${prefix}_JWKS_URL`])
      problems.push(`set either ${prefix}_JWT_SECRET or ${prefix}_JWKS_URL, not both`);
    else if (e[`${prefix}_JWT_SECRET`] && asymmetric)
      problems.push(
        `${prefix}_JWT_SECRET verifies only HS algorithms; ${prefix}_JWT_ALGORITHMS names others`,
      );
    else if (e[`${prefix}_JWKS_URL`] && symmetric)
      problems.push(
        `${prefix}_JWKS_URL verifies only public-key algorithms; ${prefix}_JWT_ALGORITHMS names HS ones`,
      );
  }
  if (e.LEGACY_LINK_PATHS) {
    const bad = e.LEGACY_LINK_PATHS.split(',')
      .map((p) => p.trim())
      .filter((p) => p && !/^\/[\w\-./:]*$/.test(p));
    if (bad.length)
      problems.push(
        `LEGACY_LINK_PATHS must list paths such as /auth/magic or /m/:token (not ${bad.join(', ')})`,
      );
  }
  if (
    e.LEGACY_SESSION_COOKIE &&
    !e.LEGACY_SESSION_JWT_SECRET &&
    !e.LEGACY_SESSION_JWKS_URL &&
    !e.LEGACY_SESSION_INTROSPECTION_URL
  )
    problems.push(
      'LEGACY_SESSION_COOKIE is set, so one of LEGACY_SESSION_JWT_SECRET, LEGACY_SESSION_JWKS_URL or LEGACY_SESSION_INTROSPECTION_URL must be set too',
    );
  if (e.TWILIO_ACCOUNT_SID && !e.TWILIO_AUTH_TOKEN)
    problems.push('TWILIO_ACCOUNT_SID is set, so TWILIO_AUTH_TOKEN must be set too');
  if (e.TWILIO_ACCOUNT_SID && !e.TWILIO_MESSAGING_SERVICE_SID && !e.TWILIO_FROM_NUMBER)
    problems.push(
      'TWILIO_ACCOUNT_SID is set, so TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER must be set too',
    );
  const dkim = [e.DKIM_DOMAIN, e.DKIM_SELECTOR, e.DKIM_PRIVATE_KEY];
  if (dkim.some(Boolean) && !dkim.every(Boolean))
    problems.push('DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY go together: set all three or none');
  if (e.DKIM_PRIVATE_KEY && !e.DKIM_PRIVATE_KEY.includes('-----BEGIN')) {
    try {
      readFileSync(e.DKIM_PRIVATE_KEY, 'utf8');
    } catch {
      problems.push('DKIM_PRIVATE_KEY must be a PEM private key or the path of a readable PEM file');
    }
  }
  return problems;
}

/** A PEM given inline (with \n escapes from a .env file) or as a file path. */
function readPem(value: string): string {
  return value.includes('-----BEGIN') ? value.replace(/\\n/g, '\n') : readFileSync(value, 'utf8');
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
