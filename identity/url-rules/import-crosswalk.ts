// `causeway import crosswalk FILE`: legacy record ids and their new-platform ids, so a rule such as
// `{new}/visits/{crosswalk:appointment:id}` can translate an old link. CSV with a header row naming
// `legacy_id` and `new_id`, and `kind` (appointment, message, prescription, …) unless `--kind` gives it
// (a row with an empty kind takes `--kind`). Streamed and batched (memory holds one batch), idempotent
// by (kind, legacy_id): a row that changes nothing is not written. Bad rows are reported by line and
// never stop the run. A dry run does the same work in a transaction that is rolled back.
import { sql } from 'drizzle-orm';
import { appendAudit } from '../../db/audit.ts';
import type { Db, DbOrTx } from '../../db/client.ts';
import { pgArray, queryRows } from '../../db/pg-array.ts';
import { headerIndex, readCsvRecords, type CsvProgress } from './csv.ts';
import { CROSSWALK_KIND } from './rules.ts';

export type CrosswalkSkipReason =
  | 'missing_kind'
  | 'bad_kind'
  | 'missing_legacy_id'
  | 'missing_new_id'
  | 'bad_id'
  | 'duplicate_legacy_id'
  | 'wrong_column_count'
  | 'malformed_row';

export interface CrosswalkImportSummary {
  imported: number;
  updated: number;
  unchanged: number;
  /** In file order; `line` counts the header as line 1. */
  skipped: { line: number; reason: CrosswalkSkipReason }[];
  /** Rows by kind (written or not). */
  byKind: Record<string, number>;
}

export class UnusableCrosswalkFile extends Error {}

class DryRunRollback extends Error {}

const MAX_ID = 200;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

interface CrosswalkRow {
  line: number;
  kind: string;
  legacyId: string;
  newId: string;
}

export async function importCrosswalk(options: {
  db: Db;
  file: string;
  /** The kind of every row whose file has no kind column, or whose kind cell is empty. */
  kind?: string;
  dryRun?: boolean;
  batchSize?: number;
  startedBy?: string;
  onProgress?: (progress: CsvProgress) => void;
}): Promise<CrosswalkImportSummary> {
  const { db, file } = options;
  const dryRun = options.dryRun ?? false;
  const batchSize = options.batchSize ?? 5_000;
  const startedBy = options.startedBy ?? 'cli';
  if (options.kind !== undefined && !CROSSWALK_KIND.test(options.kind))
    throw new UnusableCrosswalkFile(
      `--kind ${options.kind} is not a kind such as appointment (lower-case letters, digits, _ or -)`,
    );
  const summary: CrosswalkImportSummary = { imported: 0, updated: 0, unchanged: 0, skipped: [], byKind: {} };

  const run = async (tx: DbOrTx | null) => {
    let columns: { kind: number; legacyId: number; newId: number; width: number } | null = null;
    let batch: CrosswalkRow[] = [];
    const flush = async () => {
      const rows = batch;
      batch = [];
      if (rows.length === 0) return;
      if (tx) await writeBatch(tx, rows, summary);
      // Outside a dry run each batch is its own transaction: a crash loses one batch, which the next
      // run writes (idempotent).
      else await db.transaction((t) => writeBatch(t, rows, summary));
    };
    for await (const { line, fields } of readCsvRecords(file, {
      onMalformed: (l) => summary.skipped.push({ line: l, reason: 'malformed_row' }),
      onProgress: options.onProgress,
    })) {
      if (!columns) {
        const at = headerIndex(fields);
        columns = { kind: at('kind'), legacyId: at('legacy_id'), newId: at('new_id'), width: fields.length };
        if (columns.legacyId === -1 || columns.newId === -1)
          throw new UnusableCrosswalkFile(
            'the header row needs legacy_id and new_id columns, and a kind column unless --kind is given',
          );
        if (columns.kind === -1 && options.kind === undefined)
          throw new UnusableCrosswalkFile(
            'the file has no kind column: give one with --kind (e.g. --kind appointment)',
          );
        continue;
      }
      if (fields.length !== columns.width) {
        summary.skipped.push({ line, reason: 'wrong_column_count' });
        continue;
      }
      const kind = (columns.kind === -1 ? '' : fields[columns.kind]!.trim()) || options.kind || '';
      const legacyId = fields[columns.legacyId]!.trim();
      const newId = fields[columns.newId]!.trim();
      const reason: CrosswalkSkipReason | null =
        kind === ''
          ? 'missing_kind'
          : !CROSSWALK_KIND.test(kind)
            ? 'bad_kind'
            : legacyId === ''
              ? 'missing_legacy_id'
              : newId === ''
                ? 'missing_new_id'
                : legacyId.length > MAX_ID ||
                    newId.length > MAX_ID ||
                    CONTROL.test(legacyId) ||
                    CONTROL.test(newId)
                  ? 'bad_id'
                  : null;
      if (reason) {
        summary.skipped.push({ line, reason });
        continue;
      }
      summary.byKind[kind] = (summary.byKind[kind] ?? 0) + 1;
      batch.push({ line, kind, legacyId, newId });
      if (batch.length >= batchSize) await flush();
    }
    if (!columns) throw new UnusableCrosswalkFile('the file is empty: it has no header row');
    await flush();
  };

  if (dryRun) {
    try {
      await db.transaction(async (tx) => {
        await run(tx);
        throw new DryRunRollback();
      });
    } catch (error) {
      if (!(error instanceof DryRunRollback)) throw error;
    }
  } else {
    await run(null);
    await appendAudit(db, {
      action: 'import.crosswalk_completed',
      actorType: startedBy === 'cli' ? 'cli' : 'staff',
      actorId: startedBy === 'cli' ? null : startedBy,
      data: {
        imported: summary.imported,
        updated: summary.updated,
        unchanged: summary.unchanged,
        skipped: summary.skipped.length,
        byKind: summary.byKind,
      },
    });
  }
  summary.skipped.sort((a, b) => a.line - b.line);
  return summary;
}

async function writeBatch(tx: DbOrTx, rows: CrosswalkRow[], summary: CrosswalkImportSummary) {
  // One statement cannot write a key twice: a legacy id repeated within a batch keeps its first row.
  const seen = new Set<string>();
  const unique: CrosswalkRow[] = [];
  for (const row of rows) {
    const key = `${row.kind}\u0000${row.legacyId}`;
    if (seen.has(key)) summary.skipped.push({ line: row.line, reason: 'duplicate_legacy_id' });
    else {
      seen.add(key);
      unique.push(row);
    }
  }
  const written = await queryRows<{ inserted: boolean }>(
    tx,
    sql`insert into id_crosswalk (kind, legacy_id, new_id)
        select * from unnest(${pgArray(unique.map((r) => r.kind))}::text[],
                             ${pgArray(unique.map((r) => r.legacyId))}::text[],
                             ${pgArray(unique.map((r) => r.newId))}::text[])
        on conflict (kind, legacy_id) do update set new_id = excluded.new_id
          where id_crosswalk.new_id is distinct from excluded.new_id
        returning (xmax = 0) as inserted`,
  );
  let inserted = 0;
  for (const row of written) if (row.inserted) inserted += 1;
  summary.imported += inserted;
  summary.updated += written.length - inserted;
  summary.unchanged += unique.length - written.length;
}

export function formatCrosswalkImportSummary(
  summary: CrosswalkImportSummary,
  options: { dryRun: boolean; file: string },
): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const ids = (value: number) => `${n(value)} id${value === 1 ? '' : 's'}`;
  const reasons: Record<CrosswalkSkipReason, string> = {
    missing_kind: 'no kind (add a kind column or --kind)',
    bad_kind: 'kind is not lower-case letters, digits, _ or - (such as appointment)',
    missing_legacy_id: 'no legacy_id',
    missing_new_id: 'no new_id',
    bad_id: 'an id longer than 200 characters or with control characters',
    duplicate_legacy_id: 'the same kind and legacy_id as an earlier row',
    wrong_column_count: 'a different number of columns than the header',
    malformed_row: 'the row could not be read as CSV',
  };
  const skipped = summary.skipped.length;
  const kinds = Object.entries(summary.byKind)
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([kind, count]) => `${kind} ${n(count)}`)
    .join(', ');
  const lines = [
    options.dryRun
      ? `Dry run: nothing was written. Importing ${options.file} would add ${ids(summary.imported)}, update ${n(summary.updated)}, leave ${n(summary.unchanged)} unchanged and skip ${n(skipped)} row${skipped === 1 ? '' : 's'}.`
      : `Imported the crosswalk from ${options.file}: ${ids(summary.imported)} added, ${n(summary.updated)} updated, ${n(summary.unchanged)} unchanged, ${n(skipped)} row${skipped === 1 ? '' : 's'} skipped.`,
  ];
  if (kinds) lines.push(`By kind: ${kinds}.`);
  if (skipped > 0) {
    const shown = 50;
    lines.push('Skipped rows:');
    for (const row of summary.skipped.slice(0, shown))
      lines.push(`  line ${row.line}: ${reasons[row.reason]}`);
    if (skipped > shown) lines.push(`  … and ${n(skipped - shown)} more.`);
  }
  return lines.join('\n');
}
