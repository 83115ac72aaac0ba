// `causeway import patients`: streams a legacy export into patients and credentials, writing one
// migration-log entry per row. Idempotent by legacy_id, batched, never hashes a password.
import { createHash, randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { CountryCode } from 'libphonenumber-js';
import { appendAudit } from '../../db/audit.ts';
import type { Db, DbOrTx } from '../../db/client.ts';
import { pgArray, queryRows } from '../../db/pg-array.ts';
import { cohorts, importRuns, type ImportOutcome } from '../../db/schema/index.ts';
import type { HashParams } from '../credentials/index.ts';
import type { FieldCipher } from '../encryption.ts';
import { normalizeRow, type FlagReason, type NormalizedPatient } from './normalize-row.ts';
import { readRows, type ImportFormat, type ReadProgress, type SourceRow } from './read-sources.ts';

export interface ImportOptions {
  file: string;
  format: ImportFormat;
  dryRun: boolean;
  defaultRegion: CountryCode;
  /** The organisation's zone for patients whose own zone and cohort give none. */
  defaultTimeZone: string;
  hashConfig?: HashParams;
  batchSize?: number;
  /** Who ran it, for the run record and the audit log (e.g. `cli`). */
  startedBy: string;
  onProgress?: (progress: { rows: number } & ReadProgress) => void;
}

export interface ImportSummary {
  runId: string | null;
  dryRun: boolean;
  rows: number;
  byOutcome: Partial<Record<ImportOutcome, number>>;
  /** Keyed `outcome/reason`, e.g. `flagged/duplicate_email`. */
  byReason: Record<string, number>;
}

interface LogEntry {
  line: number;
  legacyId: string | null;
  outcome: ImportOutcome;
  reasons: string[];
  patientId: string | null;
  /** The row as read, encrypted. */
  rawEnc: string;
  hasPassword: boolean;
}

// Flags about other accounts change as other rows arrive; they are not part of a row's own content.
const relationalFlags: ReadonlySet<FlagReason> = new Set([
  'duplicate_email',
  'duplicate_phone',
  'duplicate_new_platform_id',
]);

class DryRunRollback extends Error {}

export async function importPatients(
  deps: { db: Db; cipher: FieldCipher },
  options: ImportOptions,
): Promise<ImportSummary> {
  const { db } = deps;
  const summary: ImportSummary = {
    runId: null,
    dryRun: options.dryRun,
    rows: 0,
    byOutcome: {},
    byReason: {},
  };
  const runId = options.dryRun ? randomUUID() : await startRun(db, options);
  summary.runId = options.dryRun ? null : runId;
  const progress: ReadProgress = { bytesRead: 0, totalBytes: 0 };
  const batchSize = options.batchSize ?? 1_000;
  const cohortIds = new Map<string, { id: string; zone: string }>();

  const work = async (tx: DbOrTx, writeLog: boolean) => {
    let batch: SourceRow[] = [];
    let pending: Promise<void> = Promise.resolve();
    let applied = 0;
    const apply = async (prepared: PreparedBatch) => {
      // A batch's patients, credentials and log entries commit together or not at all.
      await tx.transaction(async (btx) => {
        // A batch lost to a crash is simply imported again (the run is idempotent), so a commit need
        // not wait for its WAL flush.
        await btx.execute(sql`set local synchronous_commit = off`);
        await applyBatch(btx, runId, prepared, options, cohortIds);
        if (writeLog) await writeEntries(btx, runId, prepared.entries);
      });
      // The planner's picture of a table that grows by a million rows goes stale fast; without it the
      // per-batch lookups turn into scans and the run slows as it goes.
      applied += 1;
      if (applied % 25 === 0) await tx.execute(sql`analyze patients`);
      for (const entry of prepared.entries) {
        summary.rows += 1;
        summary.byOutcome[entry.outcome] = (summary.byOutcome[entry.outcome] ?? 0) + 1;
        const reason = entry.reasons[0];
        if (reason)
          summary.byReason[`${entry.outcome}/${reason}`] =
            (summary.byReason[`${entry.outcome}/${reason}`] ?? 0) + 1;
      }
      options.onProgress?.({ rows: summary.rows, ...progress });
    };
    // Reading and checking the next batch (CPU) overlaps writing this one (database): batches are
    // still written one after another, in file order.
    const flush = async () => {
      if (batch.length === 0) return;
      const prepared = prepareBatch(batch, options, deps.cipher);
      batch = [];
      await pending;
      pending = apply(prepared);
      pending.catch(() => {});
    };
    for await (const row of readRows(options.file, options.format, progress)) {
      batch.push(row);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    await pending;
  };

  try {
    if (options.dryRun) {
      // The same work inside one transaction that is rolled back: a dry run sees what a run would do.
      await db
        .transaction(async (tx) => {
          await work(tx, false);
          throw new DryRunRollback();
        })
        .catch((error: unknown) => {
          if (!(error instanceof DryRunRollback)) throw error;
        });
      return summary;
    }
    await work(db, true);
  } catch (error) {
    if (!options.dryRun) {
      await db
        .update(importRuns)
        .set({
          status: 'failed',
          finishedAt: new Date(),
          rows: summary.rows,
          byOutcome: summary.byOutcome,
          byReason: summary.byReason,
          failure: error instanceof Error ? error.message : String(error),
        })
        .where(eq(importRuns.id, runId));
    }
    throw error;
  }
  await db
    .update(importRuns)
    .set({
      status: 'done',
      finishedAt: new Date(),
      rows: summary.rows,
      byOutcome: summary.byOutcome,
      byReason: summary.byReason,
    })
    .where(eq(importRuns.id, runId));
  await appendAudit(db, {
    action: 'import.patients_completed',
    actorType: options.startedBy === 'cli' ? 'cli' : 'staff',
    actorId: options.startedBy === 'cli' ? null : options.startedBy,
    subjectType: 'import_run',
    subjectId: runId,
    data: { rows: summary.rows, byOutcome: summary.byOutcome },
  });
  return summary;
}

async function startRun(db: Db, options: ImportOptions): Promise<string> {
  const [run] = await db
    .insert(importRuns)
    .values({
      source: options.file.split('/').pop() ?? options.file,
      format: options.format,
      startedBy: options.startedBy,
    })
    .returning({ id: importRuns.id });
  return run!.id;
}

function fingerprint(
  patient: NormalizedPatient,
  cohortId: string | null,
  timeZone: string,
  flags: FlagReason[],
): string {
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

async function cohortFor(tx: DbOrTx, name: string | null, cache: Map<string, { id: string; zone: string }>) {
  if (!name) return null;
  const cached = cache.get(name);
  if (cached) return cached;
  await tx.insert(cohorts).values({ name }).onConflictDoNothing();
  const [row] = await tx
    .select({ id: cohorts.id, zone: cohorts.defaultTimeZone })
    .from(cohorts)
    .where(eq(cohorts.name, name));
  const entry = { id: row!.id, zone: row!.zone };
  cache.set(name, entry);
  return entry;
}

interface Candidate {
  patient: NormalizedPatient;
  flags: FlagReason[];
  entry: LogEntry;
}

interface PreparedBatch {
  entries: LogEntry[];
  candidates: Candidate[];
}

/** Everything about a batch that needs no database: parse, validate, detect hashes, encrypt the raw rows. */
function prepareBatch(batch: SourceRow[], options: ImportOptions, cipher: FieldCipher): PreparedBatch {
  const entries: LogEntry[] = [];
  const candidates: Candidate[] = [];
  const seenInBatch = new Set<string>();
  const ivs = cipher.ivs(batch.length);
  batch.forEach((row, i) => {
    const entry: LogEntry = {
      line: row.line,
      legacyId: null,
      outcome: 'skipped',
      reasons: [],
      patientId: null,
      rawEnc: cipher.encrypt(row.text, ivs[i]!),
      hasPassword: false,
    };
    entries.push(entry);
    if (row.error || !row.raw) {
      entry.reasons = [row.error ?? 'malformed_row'];
      return;
    }
    const result = normalizeRow(row.raw, {
      defaultRegion: options.defaultRegion,
      hashConfig: options.hashConfig,
    });
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
    candidates.push({ patient: result.patient, flags: result.flags, entry });
  });
  return { entries, candidates };
}

/** Decides each candidate's outcome against what the database holds, and writes the batch. */
async function applyBatch(
  tx: DbOrTx,
  runId: string,
  { candidates }: PreparedBatch,
  options: ImportOptions,
  cohortCache: Map<string, { id: string; zone: string }>,
): Promise<void> {
  if (candidates.length === 0) return;

  const legacyIds = candidates.map((c) => c.patient.legacyId);
  const emails = [
    ...new Set(candidates.flatMap((c) => (c.patient.emailNormalized ? [c.patient.emailNormalized] : []))),
  ];
  const phones = [...new Set(candidates.flatMap((c) => (c.patient.phone ? [c.patient.phone] : [])))];
  const npIds = [
    ...new Set(candidates.flatMap((c) => (c.patient.newPlatformId ? [c.patient.newPlatformId] : []))),
  ];
  // One after another (a transaction is one connection), each a single array parameter: fast at any batch size.
  const existing = await queryRows<{
    id: string;
    legacy_id: string;
    import_fingerprint: string | null;
    import_run_id: string | null;
  }>(
    tx,
    sql`select id, legacy_id, import_fingerprint, import_run_id from patients where legacy_id = any(${pgArray(legacyIds)}::text[])`,
  );
  const ownersOf = async (column: 'email_normalized' | 'phone' | 'new_platform_id', keys: string[]) =>
    keys.length
      ? queryRows<{ key: string | null; ids: string[] }>(
          tx,
          // Two owners per value are enough to tell "someone else has it", however many share it.
          sql`select ${sql.identifier(column)} as key, (array_agg(legacy_id))[1:2] as ids from patients
              where ${sql.identifier(column)} = any(${pgArray(keys)}::text[]) group by 1`,
        )
      : [];
  const emailOwners = await ownersOf('email_normalized', emails);
  const phoneOwners = await ownersOf('phone', phones);
  const npOwners = await ownersOf('new_platform_id', npIds);
  const existingById = new Map(
    existing.map((e) => [
      e.legacy_id,
      { id: e.id, fingerprint: e.import_fingerprint, runId: e.import_run_id },
    ]),
  );
  const owners = (rows: { key: string | null; ids: string[] }[]) => {
    const map = new Map<string, Set<string>>();
    for (const r of rows) if (r.key) map.set(r.key, new Set(r.ids));
    return map;
  };
  const emailMap = owners(emailOwners);
  const phoneMap = owners(phoneOwners);
  const npMap = owners(npOwners);

  type Write = Candidate & {
    cohortId: string | null;
    timeZone: string;
    print: string;
    isNew: boolean;
  };
  const writes: Write[] = [];
  const unchangedIds: string[] = [];
  // Values now shared by two accounts or more: every account holding one is flagged, once.
  const sharedEmails = new Set<string>();
  const sharedPhones = new Set<string>();
  for (const candidate of candidates) {
    const { patient, flags, entry } = candidate;
    const previous = existingById.get(patient.legacyId);
    if (previous && previous.runId === runId) {
      entry.reasons = ['duplicate_legacy_id_in_file'];
      entry.hasPassword = false;
      continue;
    }
    const others = (map: Map<string, Set<string>>, key: string | null) => {
      if (!key) return [];
      const set = map.get(key) ?? new Set<string>();
      const list = [...set].filter((id) => id !== patient.legacyId);
      set.add(patient.legacyId);
      map.set(key, set);
      return list;
    };
    const sameEmail = others(emailMap, patient.emailNormalized);
    const samePhone = others(phoneMap, patient.phone);
    const sameNp = others(npMap, patient.newPlatformId);
    if (sameEmail.length) {
      flags.push('duplicate_email');
      sharedEmails.add(patient.emailNormalized!);
    }
    if (samePhone.length) {
      flags.push('duplicate_phone');
      sharedPhones.add(patient.phone!);
    }
    if (sameNp.length) {
      // The new platform's id must point at one patient: keep the first, leave this one unlinked.
      flags.push('duplicate_new_platform_id');
      patient.newPlatformId = null;
    }
    const cohort = await cohortFor(tx, patient.cohort, cohortCache);
    const timeZone = patient.timeZone ?? cohort?.zone ?? options.defaultTimeZone;
    const print = fingerprint(patient, cohort?.id ?? null, timeZone, flags);
    entry.reasons = [...flags];
    if (previous && previous.fingerprint === print) {
      entry.outcome = 'unchanged';
      entry.patientId = previous.id;
      unchangedIds.push(previous.id);
      continue;
    }
    entry.outcome = flags.length > 0 ? 'flagged' : previous ? 'updated' : 'imported';
    writes.push({ ...candidate, cohortId: cohort?.id ?? null, timeZone, print, isNew: !previous });
  }

  if (unchangedIds.length) {
    await tx.execute(
      sql`update patients set import_run_id = ${runId}::uuid where id = any(${pgArray(unchangedIds)}::uuid[])`,
    );
  }
  if (writes.length) {
    const now = new Date().toISOString();
    const column = <T>(pick: (w: Write) => T) => pgArray(writes.map(pick) as (string | boolean | null)[]);
    const written = await queryRows<{ id: string; legacy_id: string }>(
      tx,
      sql`
      insert into patients (legacy_id, new_platform_id, email, email_normalized, phone, given_name, family_name, birth_date,
        locale, time_zone, cohort_id, email_opt_in, sms_opt_in, flags, legacy_created_at, import_fingerprint, import_run_id, updated_at)
      select legacy_id, new_platform_id, email, email_normalized, phone, given_name, family_name, birth_date,
        locale, time_zone, cohort_id, email_opt_in, sms_opt_in, coalesce(string_to_array(nullif(flags, ''), ','), '{}'),
        legacy_created_at, import_fingerprint, ${runId}::uuid, ${now}::timestamptz
      from unnest(
        ${column((w) => w.patient.legacyId)}::text[], ${column((w) => w.patient.newPlatformId)}::text[],
        ${column((w) => w.patient.email)}::text[], ${column((w) => w.patient.emailNormalized)}::text[],
        ${column((w) => w.patient.phone)}::text[], ${column((w) => w.patient.givenName)}::text[],
        ${column((w) => w.patient.familyName)}::text[], ${column((w) => w.patient.birthDate)}::date[],
        ${column((w) => w.patient.locale)}::patient_locale[], ${column((w) => w.timeZone)}::text[],
        ${column((w) => w.cohortId)}::uuid[], ${column((w) => w.patient.emailOptIn)}::bool[],
        ${column((w) => w.patient.smsOptIn)}::bool[], ${column((w) => w.flags.join(','))}::text[],
        ${column((w) => w.patient.legacyCreatedAt)}::timestamptz[], ${column((w) => w.print)}::text[]
      ) as t(legacy_id, new_platform_id, email, email_normalized, phone, given_name, family_name, birth_date,
        locale, time_zone, cohort_id, email_opt_in, sms_opt_in, flags, legacy_created_at, import_fingerprint)
      on conflict (legacy_id) do update set
        new_platform_id = excluded.new_platform_id, email = excluded.email, email_normalized = excluded.email_normalized,
        phone = excluded.phone, given_name = excluded.given_name, family_name = excluded.family_name,
        birth_date = excluded.birth_date, locale = excluded.locale, time_zone = excluded.time_zone,
        cohort_id = excluded.cohort_id, email_opt_in = excluded.email_opt_in, sms_opt_in = excluded.sms_opt_in,
        flags = excluded.flags, legacy_created_at = excluded.legacy_created_at,
        import_fingerprint = excluded.import_fingerprint, import_run_id = excluded.import_run_id, updated_at = excluded.updated_at
      returning id, legacy_id`,
    );
    const idByLegacy = new Map(written.map((w) => [w.legacy_id, w.id]));
    for (const w of writes) w.entry.patientId = idByLegacy.get(w.patient.legacyId) ?? null;
    const withCredential = writes.filter((w) => w.patient.credential && w.entry.patientId);
    if (withCredential.length) {
      const cred = <T>(pick: (c: NonNullable<NormalizedPatient['credential']>, w: Write) => T) =>
        pgArray(withCredential.map((w) => pick(w.patient.credential!, w)) as (string | boolean | null)[]);
      // A credential already upgraded at sign-in is the patient's own now: a re-import never replaces it.
      await tx.execute(sql`
        insert into patient_credentials (patient_id, family, encoded, params, usable, origin, updated_at)
        select patient_id, family, encoded, params, usable, 'legacy', ${now}::timestamptz
        from unnest(${cred((_c, w) => w.entry.patientId)}::uuid[], ${cred((c) => c.family)}::text[],
          ${cred((c) => c.encoded)}::text[], ${cred((c) => (c.params ? JSON.stringify(c.params) : null))}::jsonb[],
          ${cred((c) => c.usable)}::bool[]) as t(patient_id, family, encoded, params, usable)
        on conflict (patient_id) do update set family = excluded.family, encoded = excluded.encoded,
          params = excluded.params, usable = excluded.usable, updated_at = excluded.updated_at
        where patient_credentials.origin = 'legacy'`);
    }
  }
  for (const [column, flag, values] of [
    ['email_normalized', 'duplicate_email', sharedEmails],
    ['phone', 'duplicate_phone', sharedPhones],
  ] as const) {
    if (values.size === 0) continue;
    await tx.execute(
      sql`update patients set flags = array_append(flags, ${flag}) where ${sql.identifier(column)} = any(${pgArray([...values])}::text[]) and not (${flag} = any(flags))`,
    );
  }
}

async function writeEntries(tx: DbOrTx, runId: string, entries: LogEntry[]) {
  if (entries.length === 0) return;
  const column = <T>(pick: (e: LogEntry) => T) =>
    pgArray(entries.map(pick) as (string | number | boolean | null)[]);
  await tx.execute(sql`
    insert into import_rows (run_id, line, legacy_id, outcome, reasons, patient_id, raw_enc, has_password)
    select ${runId}::uuid, line, legacy_id, outcome, coalesce(string_to_array(nullif(reasons, ''), ','), '{}'),
      patient_id, raw_enc, has_password
    from unnest(${column((e) => e.line)}::int[], ${column((e) => e.legacyId?.slice(0, 200) ?? null)}::text[],
      ${column((e) => e.outcome)}::import_outcome[], ${column((e) => e.reasons.join(','))}::text[],
      ${column((e) => e.patientId)}::uuid[], ${column((e) => e.rawEnc)}::text[],
      ${column((e) => e.hasPassword)}::bool[]) as t(line, legacy_id, outcome, reasons, patient_id, raw_enc, has_password)`);
}
