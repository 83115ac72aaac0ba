// `causeway import patients`: streams a legacy export into patients and credentials, writing one
// migration-log entry per row. Idempotent by legacy_id, batched, never hashes a password.
import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { eq, sql, type SQL } from 'drizzle-orm';
import type { CountryCode } from 'libphonenumber-js';
import { appendAudit } from '../../db/audit.ts';
import type { Db, DbOrTx } from '../../db/client.ts';
import { queryRows } from '../../db/pg-array.ts';
import { cohorts, importRuns, type ImportOutcome } from '../../db/schema/index.ts';
import type { HashParams } from '../credentials/index.ts';
import type { FieldCipher } from '../encryption.ts';
import type { NormalizedPatient } from './normalize-row.ts';
import {
  columnValues,
  createBatchBuilder,
  finishBatch,
  refingerprint,
  unknownCohorts,
  type Cohort,
  type ColumnValues,
  type LogEntry,
  type PreparedBatch,
} from './prepare-batch.ts';
import { readRowGroups, type ImportFormat, type ReadProgress } from './read-sources.ts';

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
    const apply = async (prepared: PreparedBatch) => {
      // A batch's patients, credentials and log entries commit together or not at all.
      await tx.transaction(async (btx) => {
        // A batch lost to a crash is simply imported again (the run is idempotent), so a commit need
        // not wait for its WAL flush. Every lookup here is by an indexed key: an index scan whatever
        // the planner's (soon stale) picture of a table growing by a million rows says, so no ANALYZE
        // during the run. Compiling these short statements (JIT) would cost more than running them.
        await btx.execute(
          sql`select set_config('synchronous_commit', 'off', true), set_config('enable_seqscan', 'off', true),
            set_config('jit', 'off', true)`,
        );
        await applyBatch(btx, runId, prepared, options, cohortIds, writeLog);
      });

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
    // Reading and checking the next batches (CPU, this thread) overlaps writing this one (the database
    // server's process): batches are still written one after another, in file order, and at most
    // `ahead` of them wait in memory.
    const ahead = 1;
    const builder = createBatchBuilder(options, deps.cipher);
    let chain: Promise<void> = Promise.resolve();
    const inFlight: Promise<void>[] = [];
    const flush = async () => {
      if (builder.size === 0) return;
      const prepared = builder.take();
      // Sealing the rows and laying out the columns each take a while: let the database's answer in between.
      await yieldToEvents();
      if (unknownCohorts(prepared, cohortIds).length === 0)
        finishBatch(prepared, cohortIds, options.defaultTimeZone);
      chain = chain.then(() => apply(prepared));
      chain.catch(() => {});
      inFlight.push(chain);
      while (inFlight.length > ahead) await inFlight.shift();
    };
    let sinceYield = 0;
    for await (const rows of readRowGroups(options.file, options.format, progress)) {
      for (const row of rows) {
        builder.add(row);
        if (builder.size >= batchSize) await flush();
        // Checking rows runs without a pause of its own: give the database's answers their turn often,
        // so the server never waits long on this thread for its next statement.
        if (++sinceYield >= 25) {
          sinceYield = 0;
          await yieldToEvents();
        }
      }
    }
    await flush();
    await chain;
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

/** Creates the cohorts a batch names for the first time, and remembers every cohort's id and zone. */
async function resolveCohorts(tx: DbOrTx, names: string[], cache: Map<string, Cohort>): Promise<void> {
  for (const name of names) {
    await tx.insert(cohorts).values({ name }).onConflictDoNothing();
    const [row] = await tx
      .select({ id: cohorts.id, zone: cohorts.defaultTimeZone })
      .from(cohorts)
      .where(eq(cohorts.name, name));
    cache.set(name, { id: row!.id, zone: row!.zone });
  }
}

/** A batch column as an array expression of `type`. */
function column(values: ColumnValues, type: string): SQL {
  return values.packed
    ? sql`string_to_array(${values.text}::text, chr(31), '')::${sql.raw(type)}[]`
    : sql`${values.text}::${sql.raw(type)}[]`;
}

interface Found {
  kind: 'legacy_id' | 'email_normalized' | 'phone' | 'new_platform_id';
  key: string;
  id: string | null;
  fingerprint: string | null;
  run_id: string | null;
  owners: string[] | null;
}

/** Decides each candidate's outcome against what the database holds, and writes the batch. */
async function applyBatch(
  tx: DbOrTx,
  runId: string,
  batch: PreparedBatch,
  options: ImportOptions,
  cohortCache: Map<string, Cohort>,
  writeLog: boolean,
): Promise<void> {
  const { candidates, entries } = batch;
  if (!batch.columns) {
    await resolveCohorts(tx, unknownCohorts(batch, cohortCache), cohortCache);
    finishBatch(batch, cohortCache, options.defaultTimeZone);
  }
  const columns = batch.columns!;

  const existingById = new Map<string, { id: string; fingerprint: string | null; runId: string | null }>();
  const emailMap = new Map<string, Set<string>>();
  const phoneMap = new Map<string, Set<string>>();
  const npMap = new Map<string, Set<string>>();
  if (candidates.length > 0) {
    const distinct = (pick: (p: NormalizedPatient) => string | null) => {
      const keys = new Set<string>();
      for (const { patient } of candidates) {
        const key = pick(patient);
        if (key) keys.add(key);
      }
      return columnValues([...keys], (k) => k);
    };
    // One round trip. Two owners per value are enough to tell "someone else has it", however many
    // share it, and each is one index probe.
    const owners = (key: Found['kind'], keys: ColumnValues) => sql`
      select ${sql.raw(`'${key}'`)} as kind, k.key, null, null, null, o.owners
      from unnest(${column(keys, 'text')}) as k(key)
      cross join lateral (select array(select p.legacy_id from patients p
        where p.${sql.identifier(key)} = k.key limit 2) as owners) as o
      where cardinality(o.owners) > 0`;
    const found = await queryRows<Found>(
      tx,
      sql`select 'legacy_id' as kind, legacy_id as key, id::text as id, import_fingerprint as fingerprint,
          import_run_id::text as run_id, null::text[] as owners
        from patients where legacy_id = any(${column(columns.legacyId, 'text')})
        union all ${owners(
          'email_normalized',
          distinct((p) => p.emailNormalized),
        )}
        union all ${owners(
          'phone',
          distinct((p) => p.phone),
        )}
        union all ${owners(
          'new_platform_id',
          distinct((p) => p.newPlatformId),
        )}`,
    );
    for (const row of found) {
      if (row.kind === 'legacy_id')
        existingById.set(row.key, { id: row.id!, fingerprint: row.fingerprint, runId: row.run_id });
      else
        (row.kind === 'email_normalized' ? emailMap : row.kind === 'phone' ? phoneMap : npMap).set(
          row.key,
          new Set(row.owners),
        );
    }
  }

  const unchangedIds: string[] = [];
  // Values now shared by two accounts or more: every account holding one is flagged, once.
  const sharedEmails = new Set<string>();
  const sharedPhones = new Set<string>();
  let droppedNewPlatformId = false;
  const actions: (string | null)[] = [];
  for (const candidate of candidates) {
    const { patient, flags, entry } = candidate;
    const previous = existingById.get(patient.legacyId);
    actions.push(null);
    if (previous && previous.runId === runId) {
      entry.reasons = ['duplicate_legacy_id_in_file'];
      entry.hasPassword = false;
      continue;
    }
    const others = (map: Map<string, Set<string>>, key: string | null) => {
      if (!key) return false;
      const set = map.get(key) ?? new Set<string>();
      let other = false;
      for (const id of set) if (id !== patient.legacyId) other = true;
      set.add(patient.legacyId);
      map.set(key, set);
      return other;
    };
    if (others(emailMap, patient.emailNormalized)) {
      flags.push('duplicate_email');
      sharedEmails.add(patient.emailNormalized!);
    }
    if (others(phoneMap, patient.phone)) {
      flags.push('duplicate_phone');
      sharedPhones.add(patient.phone!);
    }
    if (others(npMap, patient.newPlatformId)) {
      // The new platform's id must point at one patient: keep the first, leave this one unlinked.
      flags.push('duplicate_new_platform_id');
      patient.newPlatformId = null;
      refingerprint(candidate);
      droppedNewPlatformId = true;
    }
    entry.reasons = [...flags];
    if (previous && previous.fingerprint === candidate.print) {
      entry.outcome = 'unchanged';
      entry.patientId = previous.id;
      unchangedIds.push(previous.id);
      continue;
    }
    entry.outcome = flags.length > 0 ? 'flagged' : previous ? 'updated' : 'imported';
    entry.written = true;
    // `+` and the flags the row is written with; null for a row not written.
    actions[actions.length - 1] = `+${flags.join(',')}`;
  }
  if (droppedNewPlatformId) {
    columns.newPlatformId = columnValues(candidates, (c) => c.patient.newPlatformId);
    columns.print = columnValues(candidates, (c) => c.print);
  }

  if (unchangedIds.length) {
    await tx.execute(
      sql`update patients set import_run_id = ${runId}::uuid where id = any(${column(
        columnValues(unchangedIds, (id) => id),
        'uuid',
      )})`,
    );
  }
  const now = new Date().toISOString();
  const writes = actions.some((a) => a !== null);
  // Patients, their credentials and the log in one statement: the log takes each written patient's
  // id from the upsert itself, so nothing comes back to this thread between them.
  const upsert = sql`
    input as (
      select * from unnest(
        ${column(columns.id, 'uuid')}, ${column(columns.legacyId, 'text')}, ${column(
          columnValues(actions, (a) => a),
          'text',
        )},
        ${column(columns.newPlatformId, 'text')}, ${column(columns.email, 'text')},
        ${column(columns.emailNormalized, 'text')}, ${column(columns.phone, 'text')},
        ${column(columns.givenName, 'text')}, ${column(columns.familyName, 'text')},
        ${column(columns.birthDate, 'date')}, ${column(columns.locale, 'patient_locale')},
        ${column(columns.timeZone, 'text')}, ${column(columns.cohortId, 'uuid')},
        ${column(columns.emailOptIn, 'bool')}, ${column(columns.smsOptIn, 'bool')},
        ${column(columns.legacyCreatedAt, 'timestamptz')}, ${column(columns.print, 'text')},
        ${column(columns.credFamily, 'text')}, ${column(columns.credEncoded, 'text')},
        ${column(columns.credParams, 'jsonb')}, ${column(columns.credUsable, 'bool')}
      ) as t(id, legacy_id, action, new_platform_id, email, email_normalized, phone, given_name, family_name,
        birth_date, locale, time_zone, cohort_id, email_opt_in, sms_opt_in, legacy_created_at,
        import_fingerprint, cred_family, cred_encoded, cred_params, cred_usable)
      where action is not null),
    written as (
      insert into patients (id, legacy_id, new_platform_id, email, email_normalized, phone, given_name, family_name,
        birth_date, locale, time_zone, cohort_id, email_opt_in, sms_opt_in, flags, legacy_created_at,
        import_fingerprint, import_run_id, updated_at)
      select id, legacy_id, new_platform_id, email, email_normalized, phone, given_name, family_name, birth_date,
        locale, time_zone, cohort_id, email_opt_in, sms_opt_in, coalesce(string_to_array(nullif(substr(action, 2), ''), ','), '{}'),
        legacy_created_at, import_fingerprint, ${runId}::uuid, ${now}::timestamptz
      from input
      on conflict (legacy_id) do update set
        new_platform_id = excluded.new_platform_id, email = excluded.email, email_normalized = excluded.email_normalized,
        phone = excluded.phone, given_name = excluded.given_name, family_name = excluded.family_name,
        birth_date = excluded.birth_date, time_zone = excluded.time_zone, cohort_id = excluded.cohort_id,
        -- Once a patient has signed in here their own choices stand: a re-import may record an opt-out
        -- made on the legacy platform, never undo one made here, and never change their language.
        locale = case when patients.bridged_at is null then excluded.locale else patients.locale end,
        email_opt_in = case when patients.bridged_at is null then excluded.email_opt_in
                            else patients.email_opt_in and excluded.email_opt_in end,
        sms_opt_in = case when patients.bridged_at is null then excluded.sms_opt_in
                          else patients.sms_opt_in and excluded.sms_opt_in end,
        flags = excluded.flags, legacy_created_at = excluded.legacy_created_at,
        import_fingerprint = excluded.import_fingerprint, import_run_id = excluded.import_run_id, updated_at = excluded.updated_at
      returning id, legacy_id),
    credentials as (
      -- A credential already upgraded at sign-in is the patient's own now: a re-import never replaces it.
      insert into patient_credentials (patient_id, family, encoded, params, usable, origin, updated_at)
      select written.id, input.cred_family, input.cred_encoded, input.cred_params, input.cred_usable, 'legacy', ${now}::timestamptz
      from written join input using (legacy_id)
      where input.cred_family is not null
      on conflict (patient_id) do update set family = excluded.family, encoded = excluded.encoded,
        params = excluded.params, usable = excluded.usable, updated_at = excluded.updated_at
      where patient_credentials.origin = 'legacy')`;
  if (writeLog) {
    const entryColumn = (pick: (e: LogEntry) => string | number | boolean | null, type: string) =>
      column(columnValues(entries, pick), type);
    await tx.execute(sql`
      with ${writes ? sql`${upsert},` : sql``}
      entries as (
        select * from unnest(${entryColumn((e) => e.line, 'int')}, ${entryColumn((e) => e.legacyId?.slice(0, 200) ?? null, 'text')},
          ${entryColumn((e) => e.outcome, 'import_outcome')}, ${entryColumn((e) => e.reasons.join(',') || null, 'text')},
          ${entryColumn((e) => e.patientId, 'uuid')}, ${column(batch.rawEncColumn, 'text')},
          ${entryColumn((e) => e.hasPassword, 'bool')}, ${entryColumn((e) => e.written, 'bool')})
        as t(line, legacy_id, outcome, reasons, patient_id, raw_enc, has_password, written))
      insert into import_rows (run_id, line, legacy_id, outcome, reasons, patient_id, raw_enc, has_password)
      select ${runId}::uuid, e.line, e.legacy_id, e.outcome, coalesce(string_to_array(nullif(e.reasons, ''), ','), '{}'),
        ${writes ? sql`coalesce(e.patient_id, w.id)` : sql`e.patient_id`}, e.raw_enc, e.has_password
      from entries e ${writes ? sql`left join written w on e.written and w.legacy_id = e.legacy_id` : sql``}`);
  } else if (writes) {
    await tx.execute(sql`with ${upsert} select count(*) from written`);
  }
  for (const [key, flag, values] of [
    ['email_normalized', 'duplicate_email', sharedEmails],
    ['phone', 'duplicate_phone', sharedPhones],
  ] as const) {
    if (values.size === 0) continue;
    await tx.execute(
      sql`update patients set flags = array_append(flags, ${flag}) where ${sql.identifier(key)} = any(${column(
        columnValues([...values], (v) => v),
        'text',
      )}) and not (${flag} = any(flags))`,
    );
  }
}
