// The part of an import batch that needs no database: check each row, encrypt it for the log,
// fingerprint it and lay its columns out as array literals, so that writing the batch costs the
// event loop almost nothing while PostgreSQL works.
import { createHash, randomBytes } from 'node:crypto';
import type { ImportOutcome } from '../../db/schema/index.ts';
import type { HashParams } from '../credentials/index.ts';
import type { FieldCipher } from '../encryption.ts';
import {
  normalizeRow,
  type FlagReason,
  type NormalizedPatient,
  type NormalizeOptions,
} from './normalize-row.ts';
import type { SourceRow } from './read-sources.ts';

export interface LogEntry {
  line: number;
  legacyId: string | null;
  outcome: ImportOutcome;
  reasons: string[];
  patientId: string | null;
  hasPassword: boolean;
  /** The entry takes the id its patient row has after the write (a new or updated patient). */
  written: boolean;
}

export interface Cohort {
  id: string;
  zone: string;
}

export interface Candidate {
  patient: NormalizedPatient;
  /** The row's own flags; flags about other accounts are added when the batch is written. */
  flags: FlagReason[];
  entry: LogEntry;
  cohortId: string | null;
  timeZone: string;
  /** SHA-256 of the normalised row; '' until the row's cohort is known. */
  print: string;
  /** The id a new patient gets (an existing one keeps its own). */
  id: string;
}

/** One value list per column of the candidates, in candidate order (see `candidateColumns`). */
export type CandidateColumns = Record<(typeof candidateColumns)[number], ColumnValues>;

export interface PreparedBatch {
  entries: LogEntry[];
  candidates: Candidate[];
  /** The rows as read, encrypted, in entry order: the largest column, built off the write path. */
  rawEncColumn: ColumnValues;
  /** Built once every candidate's cohort is known (`finishBatch`). */
  columns: CandidateColumns | null;
}

// Flags about other accounts change as other rows arrive; they are not part of a row's own content.
const relationalFlags: ReadonlySet<FlagReason> = new Set([
  'duplicate_email',
  'duplicate_phone',
  'duplicate_new_platform_id',
]);

export interface PrepareOptions extends NormalizeOptions {
  defaultTimeZone: string;
  hashConfig?: HashParams;
}

export interface BatchBuilder {
  /** Checks and encrypts one row as soon as it is read, so no single step holds the event loop long. */
  add(row: SourceRow): void;
  readonly size: number;
  /** The batch so far; the builder starts empty again. */
  take(): PreparedBatch;
}

/** Rows → log entries and candidates. A legacy id seen twice in one batch keeps its first row. */
export function createBatchBuilder(options: PrepareOptions, cipher: FieldCipher): BatchBuilder {
  let entries: LogEntry[] = [];
  // The rows as read, sealed when the batch is taken: a sealed row is larger than the row.
  let texts: string[] = [];
  let candidates: Candidate[] = [];
  let seenInBatch = new Set<string>();
  return {
    get size() {
      return entries.length;
    },
    add(row) {
      const entry: LogEntry = {
        line: row.line,
        legacyId: null,
        outcome: 'skipped',
        reasons: [],
        patientId: null,
        hasPassword: false,
        written: false,
      };
      entries.push(entry);
      texts.push(row.text);
      if (row.error || !row.raw) {
        entry.reasons = [row.error ?? 'malformed_row'];
        return;
      }
      const result = normalizeRow(row.raw, options);
      entry.legacyId = result.ok ? result.patient.legacyId : result.legacyId;
      if (!result.ok) {
        entry.reasons = [result.reason];
        return;
      }
      if (seenInBatch.has(result.patient.legacyId)) {
        entry.reasons = ['duplicate_legacy_id_in_file'];
        return;
      }
      seenInBatch.add(result.patient.legacyId);
      entry.hasPassword = result.patient.credential?.usable ?? false;
      candidates.push({
        patient: result.patient,
        flags: result.flags,
        entry,
        cohortId: null,
        timeZone: '',
        print: '',
        id: '',
      });
    },
    take() {
      // Fresh random IVs drawn from the random source once per batch, never one reused.
      const ivs = cipher.ivs(texts.length);
      // base64url and dots: never the separator, never empty.
      const rawEncColumn: ColumnValues = {
        text: texts.map((text, i) => cipher.encrypt(text, ivs[i]!)).join(SEPARATOR),
        packed: true,
      };
      const batch: PreparedBatch = { entries, candidates, rawEncColumn, columns: null };
      entries = [];
      texts = [];
      candidates = [];
      seenInBatch = new Set();
      return batch;
    },
  };
}

/** The cohort names a batch needs that `cohorts` does not know yet. */
export function unknownCohorts(batch: PreparedBatch, cohorts: ReadonlyMap<string, Cohort>): string[] {
  const names = new Set<string>();
  for (const { patient } of batch.candidates)
    if (patient.cohort && !cohorts.has(patient.cohort)) names.add(patient.cohort);
  return [...names];
}

/** Settles each candidate's cohort, zone and fingerprint and lays out the columns (every cohort known). */
export function finishBatch(
  batch: PreparedBatch,
  cohorts: ReadonlyMap<string, Cohort>,
  defaultTimeZone: string,
): void {
  for (const candidate of batch.candidates) {
    const { patient } = candidate;
    const cohort = patient.cohort ? cohorts.get(patient.cohort)! : null;
    candidate.cohortId = cohort?.id ?? null;
    candidate.timeZone = patient.timeZone ?? cohort?.zone ?? defaultTimeZone;
    candidate.print = fingerprint(candidate);
  }
  const ids = timeOrderedIds(batch.candidates.length);
  batch.candidates.forEach((candidate, i) => (candidate.id = ids[i]!));
  batch.columns = candidateColumnsOf(batch.candidates);
}

/** The fingerprint again, for a candidate whose new-platform id was dropped as a duplicate. */
export function refingerprint(candidate: Candidate): void {
  candidate.print = fingerprint(candidate);
}

function fingerprint({ patient, cohortId, timeZone, flags }: Candidate): string {
  const own = flags.filter((f) => !relationalFlags.has(f)).sort();
  const c = patient.credential;
  // A fixed field order, so the same record always hashes the same.
  const fields = [
    patient.legacyId,
    patient.email,
    patient.phone,
    patient.givenName,
    patient.familyName,
    patient.birthDate,
    patient.locale,
    timeZone,
    cohortId,
    patient.emailOptIn,
    patient.smsOptIn,
    patient.newPlatformId,
    patient.legacyCreatedAt,
    c?.family,
    c?.encoded,
    c?.params ?? null,
    c?.usable,
    own,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

let lastMs = 0;
let sequence = 0;

/**
 * UUIDv7 (RFC 9562: Unix milliseconds, then a 12-bit counter, then 62 random bits), in increasing order.
 * Patients written by an import land at the end of the B-trees keyed by their id (patients,
 * credentials, the log's patient index) instead of at random pages of them: at a million rows that is
 * most of the cost of those three indexes. The id tells when the import ran, nothing else.
 */
export function timeOrderedIds(count: number): string[] {
  const random = randomBytes(8 * count);
  const ids = new Array<string>(count);
  const bytes = Buffer.alloc(16);
  for (let i = 0; i < count; i++) {
    const now = Date.now();
    if (now > lastMs) {
      lastMs = now;
      sequence = 0;
    } else if (++sequence > 0xfff) {
      lastMs += 1;
      sequence = 0;
    }
    bytes.writeUIntBE(lastMs, 0, 6);
    bytes[6] = 0x70 | (sequence >> 8);
    bytes[7] = sequence & 0xff;
    random.copy(bytes, 8, 8 * i, 8 * i + 8);
    bytes[8] = 0x80 | (bytes[8]! & 0x3f);
    const hex = bytes.toString('hex');
    ids[i] =
      `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }
  return ids;
}

export const candidateColumns = [
  'id',
  'legacyId',
  'newPlatformId',
  'email',
  'emailNormalized',
  'phone',
  'givenName',
  'familyName',
  'birthDate',
  'locale',
  'timeZone',
  'cohortId',
  'emailOptIn',
  'smsOptIn',
  'legacyCreatedAt',
  'print',
  'credFamily',
  'credEncoded',
  'credParams',
  'credUsable',
] as const;

function candidateColumnsOf(candidates: Candidate[]): CandidateColumns {
  const pick: Record<(typeof candidateColumns)[number], (c: Candidate) => Value> = {
    id: (c) => c.id,
    legacyId: (c) => c.patient.legacyId,
    newPlatformId: (c) => c.patient.newPlatformId,
    email: (c) => c.patient.email,
    emailNormalized: (c) => c.patient.emailNormalized,
    phone: (c) => c.patient.phone,
    givenName: (c) => c.patient.givenName,
    familyName: (c) => c.patient.familyName,
    birthDate: (c) => c.patient.birthDate,
    locale: (c) => c.patient.locale,
    timeZone: (c) => c.timeZone,
    cohortId: (c) => c.cohortId,
    emailOptIn: (c) => c.patient.emailOptIn,
    smsOptIn: (c) => c.patient.smsOptIn,
    legacyCreatedAt: (c) => c.patient.legacyCreatedAt,
    print: (c) => c.print,
    credFamily: (c) => c.patient.credential?.family ?? null,
    credEncoded: (c) => c.patient.credential?.encoded ?? null,
    credParams: (c) => (c.patient.credential?.params ? JSON.stringify(c.patient.credential.params) : null),
    credUsable: (c) => c.patient.credential?.usable ?? null,
  };
  const columns = {} as CandidateColumns;
  for (const name of candidateColumns) columns[name] = columnValues(candidates, pick[name]);
  return columns;
}

/**
 * One column of a batch as a single text parameter. Packed: the values joined by a control character
 * (`string_to_array($n, chr(31), '')`, where an empty item is NULL), which PostgreSQL splits several
 * times faster than it parses an array literal. A column holding the separator or an empty string
 * falls back to a quoted array literal (`$n::type[]`).
 */
export interface ColumnValues {
  text: string;
  packed: boolean;
}

export const SEPARATOR = '\x1f';

type Value = string | number | boolean | null;

export function columnValues<T>(items: readonly T[], pick: (item: T) => Value): ColumnValues {
  const parts = new Array<string>(items.length);
  let packable = items.length > 1;
  for (let i = 0; i < items.length; i++) {
    const value = pick(items[i]!);
    if (value === null) parts[i] = '';
    else if (typeof value === 'boolean') parts[i] = value ? 't' : 'f';
    else if (typeof value === 'number') parts[i] = String(value);
    else {
      if (value === '' || value.includes(SEPARATOR)) packable = false;
      parts[i] = value;
    }
  }
  if (packable) return { text: parts.join(SEPARATOR), packed: true };
  return { text: arrayLiteral(items, pick), packed: false };
}

/** A PostgreSQL array literal (`{"a",NULL,"t"}`) of one value per item, for a `$n::type[]` parameter. */
export function arrayLiteral<T>(items: readonly T[], pick: (item: T) => Value): string {
  const parts = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) {
    const value = pick(items[i]!);
    if (value === null) parts[i] = 'NULL';
    else if (typeof value === 'boolean') parts[i] = value ? 't' : 'f';
    else if (typeof value === 'number') parts[i] = String(value);
    else if (value.includes('\\') || value.includes('"'))
      parts[i] = `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    else parts[i] = `"${value}"`;
  }
  return `{${parts.join(',')}}`;
}
