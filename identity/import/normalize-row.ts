// One legacy export row → the patient record Causeway keeps, with every finding as a reason code.
// Hard problems skip the row; soft ones import it with a flag (DESIGN §4.1, the fixture's README).
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { z } from 'zod';
import { detectHash, type HashParams } from '../credentials/index.ts';

export const exportColumns = [
  'legacy_id',
  'email',
  'phone',
  'given_name',
  'family_name',
  'birth_date',
  'password_hash',
  'password_hash_params',
  'cohort',
  'locale',
  'time_zone',
  'email_opt_in',
  'sms_opt_in',
  'new_platform_id',
  'status',
  'legacy_created_at',
] as const;

export type RawRow = Partial<Record<(typeof exportColumns)[number], unknown>>;

/** Why a row was skipped (nothing written for it). */
export type SkipReason =
  | 'missing_legacy_id'
  | 'duplicate_legacy_id_in_file'
  | 'closed_account'
  | 'invalid_email'
  | 'no_contact'
  | 'malformed_row'
  | 'wrong_column_count'
  | 'invalid_utf8'
  | 'field_too_long';

/** Why an imported row is flagged for staff (imported, with a safe default in place of the bad value). */
export type FlagReason =
  | 'duplicate_email'
  | 'duplicate_phone'
  | 'duplicate_new_platform_id'
  | 'unknown_hash_format'
  | 'hash_params_out_of_bounds'
  | 'malformed_hash'
  | 'invalid_hash_params'
  | 'invalid_email'
  | 'invalid_phone'
  | 'invalid_time_zone'
  | 'invalid_birth_date'
  | 'unsupported_locale'
  | 'invalid_legacy_created_at';

export interface NormalizedCredential {
  family: string;
  encoded: string;
  params: HashParams | null;
  usable: boolean;
}

export interface NormalizedPatient {
  legacyId: string;
  email: string | null;
  emailNormalized: string | null;
  phone: string | null;
  givenName: string | null;
  familyName: string | null;
  birthDate: string | null;
  locale: 'en' | 'es';
  timeZone: string | null;
  cohort: string | null;
  emailOptIn: boolean;
  smsOptIn: boolean;
  newPlatformId: string | null;
  legacyCreatedAt: string | null;
  credential: NormalizedCredential | null;
}

export type NormalizeResult =
  | { ok: true; patient: NormalizedPatient; flags: FlagReason[] }
  | { ok: false; reason: SkipReason; legacyId: string | null };

export interface NormalizeOptions {
  /** Region for phone numbers written without a country code. */
  defaultRegion: CountryCode;
  /** The project's hash configuration (Firebase), merged under each row's own parameters. */
  hashConfig?: HashParams;
}

const MAX_FIELD = 4_096;
const emailSchema = z.string().email().max(254);
// What z.string().regex() would test, without a zod parse per row on the import's hot path.
const datePattern = /^\d{4}-\d{2}-\d{2}$/;

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const s =
    typeof value === 'string'
      ? value.trim()
      : typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : null;
  return s ? s : null;
}

function flag(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  const s = text(value)?.toLowerCase();
  return s === 'true' || s === '1' || s === 'yes' || s === 'y';
}

const zoneChecks = new Map<string, boolean>();

/** Whether the runtime knows this IANA zone; remembered, since building a formatter is costly. */
export function isValidTimeZone(zone: string): boolean {
  let valid = zoneChecks.get(zone);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      valid = true;
    } catch {
      valid = false;
    }
    if (zoneChecks.size < 10_000) zoneChecks.set(zone, valid);
  }
  return valid;
}

function isRealPastDate(value: string): boolean {
  if (!datePattern.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return (
    !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value && date.getTime() <= Date.now()
  );
}

export function normalizeRow(raw: RawRow, options: NormalizeOptions): NormalizeResult {
  const legacyId = text(raw.legacy_id);
  for (const value of Object.values(raw)) {
    if (typeof value === 'string' && value.length > MAX_FIELD)
      return { ok: false, reason: 'field_too_long', legacyId };
    if (typeof value === 'string' && value.includes('\uFFFD'))
      return { ok: false, reason: 'invalid_utf8', legacyId };
  }
  if (!legacyId) return { ok: false, reason: 'missing_legacy_id', legacyId: null };
  if (text(raw.status)?.toLowerCase() === 'closed') return { ok: false, reason: 'closed_account', legacyId };

  const flags: FlagReason[] = [];
  const emailText = text(raw.email);
  const email = emailText && emailSchema.safeParse(emailText).success ? emailText : null;
  const phoneText = text(raw.phone);
  const parsedPhone = phoneText ? parsePhoneNumberFromString(phoneText, options.defaultRegion) : undefined;
  const phone = parsedPhone?.isValid() ? parsedPhone.number : null;
  if (!email && !phone) {
    return { ok: false, reason: emailText && !email ? 'invalid_email' : 'no_contact', legacyId };
  }
  if (emailText && !email) flags.push('invalid_email');
  if (phoneText && !phone) flags.push('invalid_phone');

  const zoneText = text(raw.time_zone);
  let timeZone: string | null = null;
  if (zoneText && isValidTimeZone(zoneText)) timeZone = zoneText;
  else if (zoneText) flags.push('invalid_time_zone');

  const birthText = text(raw.birth_date);
  let birthDate: string | null = null;
  if (birthText && isRealPastDate(birthText)) birthDate = birthText;
  else if (birthText) flags.push('invalid_birth_date');

  const localeText = text(raw.locale)?.toLowerCase();
  const base = localeText?.split(/[-_]/)[0];
  const locale = base === 'es' ? 'es' : 'en';
  if (localeText && base !== 'en' && base !== 'es') flags.push('unsupported_locale');

  const createdText = text(raw.legacy_created_at);
  let legacyCreatedAt: string | null = null;
  if (createdText && !Number.isNaN(Date.parse(createdText)))
    legacyCreatedAt = new Date(createdText).toISOString();
  else if (createdText) flags.push('invalid_legacy_created_at');

  let credential: NormalizedCredential | null = null;
  const encoded = text(raw.password_hash);
  if (encoded) {
    let rowParams: HashParams | null = null;
    let paramsOk = true;
    const paramsValue = raw.password_hash_params;
    if (paramsValue && typeof paramsValue === 'object' && !Array.isArray(paramsValue))
      rowParams = paramsValue as HashParams;
    else if (text(paramsValue)) {
      try {
        const parsed: unknown = JSON.parse(text(paramsValue)!);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) rowParams = parsed as HashParams;
        else paramsOk = false;
      } catch {
        paramsOk = false;
      }
    }
    const params = options.hashConfig || rowParams ? { ...options.hashConfig, ...rowParams } : null;
    if (!paramsOk) {
      flags.push('invalid_hash_params');
      credential = { family: 'unknown', encoded, params: null, usable: false };
    } else {
      const detected = detectHash(encoded, params ?? undefined);
      if (detected.ok) credential = { family: detected.family, encoded, params, usable: true };
      else {
        flags.push(detected.reason);
        credential = { family: 'unknown', encoded, params, usable: false };
      }
    }
  }

  return {
    ok: true,
    flags,
    patient: {
      legacyId,
      email,
      emailNormalized: email?.toLowerCase() ?? null,
      phone,
      givenName: text(raw.given_name),
      familyName: text(raw.family_name),
      birthDate,
      locale,
      timeZone,
      cohort: text(raw.cohort),
      emailOptIn: email ? flag(raw.email_opt_in) : false,
      smsOptIn: phone ? flag(raw.sms_opt_in) : false,
      newPlatformId: text(raw.new_platform_id),
      legacyCreatedAt,
      credential,
    },
  };
}
