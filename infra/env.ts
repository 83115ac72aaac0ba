// The one place that reads process.env: every variable is parsed and checked here, once.
import path from 'node:path';
import { z } from 'zod';
import { defaultBrand, type Brand } from '../emails/brand.ts';
import { loadOrCreateLocalSecrets, secretNames, type Secrets } from './secrets.ts';

const positiveInt = z.coerce
  .number({ invalid_type_error: 'must be a whole number' })
  .int('must be a whole number')
  .positive('must be above 0');
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
});

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
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
