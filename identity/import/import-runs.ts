// What staff see of imports: runs with their counts, a run's rows, and the rows to correct as CSV.
import { and, asc, count, desc, eq, inArray } from 'drizzle-orm';
import { stringify } from 'csv-stringify/sync';
import { appendAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import { importRows, importRuns, type ImportOutcome } from '../../db/schema/index.ts';
import type { FieldCipher } from '../encryption.ts';
import type { LogEntry } from './prepare-batch.ts';

export async function listImportRuns(db: Db, limit = 50) {
  return db.select().from(importRuns).orderBy(desc(importRuns.startedAt)).limit(limit);
}

export async function getImportRun(db: Db, runId: string) {
  const [run] = await db.select().from(importRuns).where(eq(importRuns.id, runId));
  return run ?? null;
}

export interface RunRowsPage {
  rows: Omit<LogEntry, 'written'>[];
  total: number;
}

/** One page of a run's migration log, optionally of one outcome; the raw rows stay encrypted. */
export async function listRunRows(
  db: Db,
  runId: string,
  options: { outcome?: ImportOutcome; page?: number; pageSize?: number } = {},
): Promise<RunRowsPage> {
  const pageSize = options.pageSize ?? 100;
  const where = options.outcome
    ? and(eq(importRows.runId, runId), eq(importRows.outcome, options.outcome))
    : eq(importRows.runId, runId);
  const [rows, [total]] = await Promise.all([
    db
      .select({
        line: importRows.line,
        legacyId: importRows.legacyId,
        outcome: importRows.outcome,
        reasons: importRows.reasons,
        patientId: importRows.patientId,
        hasPassword: importRows.hasPassword,
      })
      .from(importRows)
      .where(where)
      .orderBy(asc(importRows.line))
      .limit(pageSize)
      .offset(((options.page ?? 1) - 1) * pageSize),
    db.select({ n: count() }).from(importRows).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}

/**
 * The skipped and flagged rows of a run as CSV, each with its reasons and the row exactly as it was
 * read, so the legacy team can correct and re-send them. It holds personal data: callers audit it.
 */
export async function exportProblemRows(
  db: Db,
  cipher: FieldCipher,
  runId: string,
  viewer: { staffId: string; role: string },
): Promise<string> {
  const rows = await db
    .select({
      line: importRows.line,
      legacyId: importRows.legacyId,
      outcome: importRows.outcome,
      reasons: importRows.reasons,
      rawEnc: importRows.rawEnc,
    })
    .from(importRows)
    .where(and(eq(importRows.runId, runId), inArray(importRows.outcome, ['skipped', 'flagged'])))
    .orderBy(asc(importRows.line));
  await appendAudit(db, {
    action: 'staff.exported_import_rows',
    actorType: 'staff',
    actorId: viewer.staffId,
    subjectType: 'import_run',
    subjectId: runId,
    data: { role: viewer.role, rows: rows.length },
  });
  return stringify(
    rows.map((r) => [r.line, r.legacyId ?? '', r.outcome, r.reasons.join(' '), cipher.decrypt(r.rawEnc)]),
    { header: true, columns: ['line', 'legacy_id', 'outcome', 'reasons', 'row_as_read'] },
  );
}
