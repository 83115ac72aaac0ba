// `causeway import patients`: streams a legacy export into patients and credentials, writing one
// migration-log entry per row. Idempotent by legacy_id, batched, never hashes a password.
import { createHash, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { CountryCode } from 'libphonenumber-js';
import { appendAudit } from '../../db/audit.ts';
import type { Db, DbOrTx } from '../../db/client.ts';
import {
  cohorts,
  importRows,
  importRuns,
  patientCredentials,
  patients,
  type ImportOutcome,
} from '../../db/schema/index.ts';
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
  text: string;
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
    const flush = async () => {
      if (batch.length === 0) return;
      const rows = batch;
      // A batch's patients, credentials and log entries commit together or not at all.
      const entries = await tx.transaction(async (btx) => {
        const result = await processBatch(btx, runId, rows, options, cohortIds);
        if (writeLog) await writeEntries(btx, runId, result, deps.cipher);
        return result;
      });
      for (const entry of entries) {
        summary.rows += 1;
        summary.byOutcome[entry.outcome] = (summary.byOutcome[entry.outcome] ?? 0) + 1;
        const reason = entry.reasons[0];
        if (reason)
          summary.byReason[`${entry.outcome}/${reason}`] =
            (summary.byReason[`${entry.outcome}/${reason}`] ?? 0) + 1;
      }
      options.onProgress?.({ rows: summary.rows, ...progress });
      batch = [];
    };
    for await (const row of readRows(options.file, options.format, progress)) {
      batch.push(row);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
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
  return createHash('sha256')
    .update(canonicalize({ ...patient, cohort: cohortId, timeZone, flags: own })!)
    .digest('hex');
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

async function processBatch(
  tx: DbOrTx,
  runId: string,
  batch: SourceRow[],
  options: ImportOptions,
  cohortCache: Map<string, { id: string; zone: string }>,
): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  const candidates: { row: SourceRow; patient: NormalizedPatient; flags: FlagReason[]; entry: LogEntry }[] =
    [];
  const seenInBatch = new Set<string>();
  for (const row of batch) {
    const entry: LogEntry = {
      line: row.line,
      legacyId: null,
      outcome: 'skipped',
      reasons: [],
      patientId: null,
      text: row.text,
      hasPassword: false,
    };
    entries.push(entry);
    if (row.error || !row.raw) {
      entry.reasons = [row.error ?? 'malformed_row'];
      continue;
    }
    const result = normalizeRow(row.raw, {
      defaultRegion: options.defaultRegion,
      hashConfig: options.hashConfig,
    });
    entry.legacyId = result.ok ? result.patient.legacyId : result.legacyId;
    if (!result.ok) {
      entry.reasons = [result.reason];
      continue;
    }
    if (seenInBatch.has(result.patient.legacyId)) {
      entry.reasons = ['duplicate_legacy_id_in_file'];
      continue;
    }
    seenInBatch.add(result.patient.legacyId);
    entry.hasPassword = result.patient.credential?.usable ?? false;
    candidates.push({ row, patient: result.patient, flags: result.flags, entry });
  }
  if (candidates.length === 0) return entries;

  const legacyIds = candidates.map((c) => c.patient.legacyId);
  const emails = [
    ...new Set(candidates.flatMap((c) => (c.patient.emailNormalized ? [c.patient.emailNormalized] : []))),
  ];
  const phones = [...new Set(candidates.flatMap((c) => (c.patient.phone ? [c.patient.phone] : [])))];
  const npIds = [
    ...new Set(candidates.flatMap((c) => (c.patient.newPlatformId ? [c.patient.newPlatformId] : []))),
  ];
  const [existing, emailOwners, phoneOwners, npOwners] = await Promise.all([
    tx
      .select({
        id: patients.id,
        legacyId: patients.legacyId,
        fingerprint: patients.importFingerprint,
        runId: patients.importRunId,
      })
      .from(patients)
      .where(inArray(patients.legacyId, legacyIds)),
    emails.length
      ? tx
          .select({ key: patients.emailNormalized, legacyId: patients.legacyId })
          .from(patients)
          .where(inArray(patients.emailNormalized, emails))
      : [],
    phones.length
      ? tx
          .select({ key: patients.phone, legacyId: patients.legacyId })
          .from(patients)
          .where(inArray(patients.phone, phones))
      : [],
    npIds.length
      ? tx
          .select({ key: patients.newPlatformId, legacyId: patients.legacyId })
          .from(patients)
          .where(inArray(patients.newPlatformId, npIds))
      : [],
  ]);
  const existingById = new Map(existing.map((e) => [e.legacyId, e]));
  const owners = (rows: { key: string | null; legacyId: string }[]) => {
    const map = new Map<string, Set<string>>();
    for (const r of rows) if (r.key) map.set(r.key, (map.get(r.key) ?? new Set()).add(r.legacyId));
    return map;
  };
  const emailMap = owners(emailOwners);
  const phoneMap = owners(phoneOwners);
  const npMap = owners(npOwners);

  type Write = (typeof candidates)[number] & {
    cohortId: string | null;
    timeZone: string;
    print: string;
    isNew: boolean;
  };
  const writes: Write[] = [];
  const unchangedIds: string[] = [];
  const crossFlags: { legacyIds: string[]; flag: FlagReason }[] = [];
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
      crossFlags.push({ legacyIds: sameEmail, flag: 'duplicate_email' });
    }
    if (samePhone.length) {
      flags.push('duplicate_phone');
      crossFlags.push({ legacyIds: samePhone, flag: 'duplicate_phone' });
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
    await tx.update(patients).set({ importRunId: runId }).where(inArray(patients.id, unchangedIds));
  }
  if (writes.length) {
    const now = new Date();
    const written = await tx
      .insert(patients)
      .values(
        writes.map((w) => ({
          legacyId: w.patient.legacyId,
          newPlatformId: w.patient.newPlatformId,
          email: w.patient.email,
          emailNormalized: w.patient.emailNormalized,
          phone: w.patient.phone,
          givenName: w.patient.givenName,
          familyName: w.patient.familyName,
          birthDate: w.patient.birthDate,
          locale: w.patient.locale,
          timeZone: w.timeZone,
          cohortId: w.cohortId,
          emailOptIn: w.patient.emailOptIn,
          smsOptIn: w.patient.smsOptIn,
          flags: w.flags,
          legacyCreatedAt: w.patient.legacyCreatedAt ? new Date(w.patient.legacyCreatedAt) : null,
          importFingerprint: w.print,
          importRunId: runId,
          updatedAt: now,
        })),
      )
      .onConflictDoUpdate({
        target: patients.legacyId,
        set: Object.fromEntries(
          [
            'new_platform_id',
            'email',
            'email_normalized',
            'phone',
            'given_name',
            'family_name',
            'birth_date',
            'locale',
            'time_zone',
            'cohort_id',
            'email_opt_in',
            'sms_opt_in',
            'flags',
            'legacy_created_at',
            'import_fingerprint',
            'import_run_id',
            'updated_at',
          ].map((column) => [
            column.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()),
            sql.raw(`excluded.${column}`),
          ]),
        ),
      })
      .returning({ id: patients.id, legacyId: patients.legacyId });
    const idByLegacy = new Map(written.map((w) => [w.legacyId, w.id]));
    for (const w of writes) w.entry.patientId = idByLegacy.get(w.patient.legacyId) ?? null;
    const credentials = writes.flatMap((w) =>
      w.patient.credential && w.entry.patientId
        ? [
            {
              patientId: w.entry.patientId,
              family: w.patient.credential.family,
              encoded: w.patient.credential.encoded,
              params: w.patient.credential.params,
              usable: w.patient.credential.usable,
              origin: 'legacy' as const,
              updatedAt: now,
            },
          ]
        : [],
    );
    if (credentials.length) {
      // A credential already upgraded at sign-in is the patient's own now: a re-import never replaces it.
      await tx
        .insert(patientCredentials)
        .values(credentials)
        .onConflictDoUpdate({
          target: patientCredentials.patientId,
          set: {
            family: sql.raw('excluded.family'),
            encoded: sql.raw('excluded.encoded'),
            params: sql.raw('excluded.params'),
            usable: sql.raw('excluded.usable'),
            updatedAt: sql.raw('excluded.updated_at'),
          },
          setWhere: eq(patientCredentials.origin, 'legacy'),
        });
    }
  }
  for (const { legacyIds: ids, flag } of crossFlags) {
    await tx
      .update(patients)
      .set({ flags: sql`array_append(${patients.flags}, ${flag})` })
      .where(and(inArray(patients.legacyId, ids), sql`not (${flag} = any(${patients.flags}))`));
  }
  return entries;
}

async function writeEntries(tx: DbOrTx, runId: string, entries: LogEntry[], cipher: FieldCipher) {
  if (entries.length === 0) return;
  await tx.insert(importRows).values(
    entries.map((e) => ({
      runId,
      line: e.line,
      legacyId: e.legacyId?.slice(0, 200) ?? null,
      outcome: e.outcome,
      reasons: e.reasons,
      patientId: e.patientId,
      rawEnc: cipher.encrypt(e.text),
      hasPassword: e.hasPassword,
    })),
  );
}
