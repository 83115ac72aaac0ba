// `causeway import legacy-links`: the legacy platform's opaque magic-link tokens, so the links already
// in patients' inboxes keep working until the parallel run ends. Only SHA-256 hashes are stored: a
// file of plain tokens is hashed as it is read. Streaming and batched (a million rows is a few
// seconds of work, and memory holds one batch); idempotent by hash.
//
// CSV with a header row naming `token_sha256` (hex) or `token`, `legacy_id`, and optionally
// `expires_at` (ISO 8601: a date, taken as midnight UTC, or a date and time; one without an offset is
// taken as UTC, as exports are). Other columns are ignored. Bad rows are reported and never stop the run.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { sql } from 'drizzle-orm';
import { appendAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import { pgArray, queryRows } from '../../db/pg-array.ts';
import { legacyLinks, patients } from '../../db/schema/index.ts';

export type LegacyLinkSkipReason =
  | 'missing_token'
  | 'bad_token_hash'
  | 'missing_legacy_id'
  | 'bad_expires_at'
  | 'duplicate_token'
  | 'wrong_column_count'
  | 'malformed_row';

export interface LegacyLinkImportSummary {
  imported: number;
  updated: number;
  unchanged: number;
  /** In file order; `line` counts the header as line 1. */
  skipped: { line: number; reason: LegacyLinkSkipReason }[];
  /** Rows kept whose legacy id no patient has yet (they work once that patient is imported). */
  unknownLegacyIds: number;
}

export interface LegacyLinkImportProgress {
  rows: number;
  bytesRead: number;
  totalBytes: number;
}

/** A file that cannot be imported at all (its header): nothing is written. */
export class UnusableLegacyLinksFile extends Error {}

interface LinkRow {
  line: number;
  tokenHash: string;
  legacyId: string;
  /** ISO 8601, or null for a link that does not expire. */
  expiresAt: string | null;
}

const MAX_ROW_BYTES = 64 * 1024;

export async function importLegacyLinks(options: {
  db: Db;
  file: string;
  dryRun?: boolean;
  onProgress?: (progress: LegacyLinkImportProgress) => void;
  /** Rows per statement (and per transaction). */
  batchSize?: number;
  /** Who ran it, for the audit log: `cli`, or a staff member's id. */
  startedBy?: string;
}): Promise<LegacyLinkImportSummary> {
  const { db } = options;
  const dryRun = options.dryRun ?? false;
  const batchSize = options.batchSize ?? 5_000;
  const startedBy = options.startedBy ?? 'cli';
  const summary: LegacyLinkImportSummary = {
    imported: 0,
    updated: 0,
    unchanged: 0,
    skipped: [],
    unknownLegacyIds: 0,
  };
  // Data rows read, skipped ones included: what the progress bar counts.
  let rowsRead = 0;
  const progress: LegacyLinkImportProgress = {
    rows: 0,
    bytesRead: 0,
    totalBytes: (await stat(options.file)).size,
  };
  const input = createReadStream(options.file);
  input.on('data', (chunk) => (progress.bytesRead += chunk.length));

  const skipped: { line: number; reason: LegacyLinkSkipReason }[] = [];
  const parser = input.pipe(
    parse({
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: MAX_ROW_BYTES,
      skip_records_with_error: true,
      info: true,
      on_skip: (error) => {
        // csv-parse names the line the unreadable record ends on.
        const line = (error as { lines?: number } | undefined)?.lines ?? 0;
        skipped.push({ line, reason: 'malformed_row' });
        return undefined;
      },
    }),
  );
  // A read error (the file vanished) reaches the parser's iterator, which throws it.
  input.on('error', (error) => parser.destroy(error));

  let columns: { token: number; hashed: boolean; legacyId: number; expiresAt: number; width: number } | null =
    null;
  let batch: LinkRow[] = [];
  // The previous batch is written while the next one is read and hashed; at most one is in flight.
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    const rows = batch;
    const upTo = rowsRead;
    batch = [];
    await writing;
    writing = writeBatch(db, rows, dryRun, summary).then(() => {
      progress.rows = upTo;
      options.onProgress?.({ ...progress });
    });
    // Awaited at the next flush or at the end; this only keeps an early failure from going unhandled.
    writing.catch(() => {});
  };

  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      rowsRead += skipped.length;
      summary.skipped.push(...skipped.splice(0));
      const { record } = item;
      // Quoted fields may span lines: the row starts where its first line is.
      const line = item.info.lines - record.reduce((n, field) => n + countNewlines(field), 0);
      if (!columns) {
        columns = readHeader(record);
        continue;
      }
      rowsRead += 1;
      if (record.length !== columns.width) {
        summary.skipped.push({ line, reason: 'wrong_column_count' });
        continue;
      }
      const row = readRow(record, columns, line);
      if ('reason' in row) summary.skipped.push(row);
      else batch.push(row);
      if (batch.length >= batchSize) await flush();
    }
  } finally {
    input.destroy();
  }
  rowsRead += skipped.length;
  summary.skipped.push(...skipped.splice(0));
  if (!columns) throw new UnusableLegacyLinksFile('the file is empty: it has no header row');
  await flush();
  await writing;
  summary.skipped.sort((a, b) => a.line - b.line);

  if (!dryRun) {
    await appendAudit(db, {
      action: 'import.legacy_links_completed',
      actorType: startedBy === 'cli' ? 'cli' : 'staff',
      actorId: startedBy === 'cli' ? null : startedBy,
      data: {
        imported: summary.imported,
        updated: summary.updated,
        unchanged: summary.unchanged,
        skipped: summary.skipped.length,
        unknownLegacyIds: summary.unknownLegacyIds,
      },
    });
  }
  return summary;
}

function readHeader(record: string[]) {
  const names = record.map((name) => name.trim().toLowerCase());
  const token = names.indexOf('token');
  const hash = names.indexOf('token_sha256');
  const legacyId = names.indexOf('legacy_id');
  if (token !== -1 && hash !== -1)
    throw new UnusableLegacyLinksFile(
      'the header names both token and token_sha256: keep one of them (token_sha256 when you have the hashes)',
    );
  if (token === -1 && hash === -1)
    throw new UnusableLegacyLinksFile(
      'the header row needs a token_sha256 (or token) column, a legacy_id column, and optionally expires_at',
    );
  if (legacyId === -1) throw new UnusableLegacyLinksFile('the header row has no legacy_id column');
  return {
    token: hash !== -1 ? hash : token,
    hashed: hash !== -1,
    legacyId,
    expiresAt: names.indexOf('expires_at'),
    width: names.length,
  };
}

function readRow(
  record: string[],
  columns: NonNullable<ReturnType<typeof readHeader>>,
  line: number,
): LinkRow | { line: number; reason: LegacyLinkSkipReason } {
  const token = record[columns.token]!.trim();
  if (token === '') return { line, reason: 'missing_token' };
  let tokenHash: string;
  if (columns.hashed) {
    if (!/^[0-9a-fA-F]{64}$/.test(token)) return { line, reason: 'bad_token_hash' };
    tokenHash = token.toLowerCase();
  } else {
    // The same hash the link is looked up by when it arrives; the plain token goes no further.
    tokenHash = createHash('sha256').update(token, 'utf8').digest('hex');
  }
  const legacyId = record[columns.legacyId]!.trim();
  if (legacyId === '') return { line, reason: 'missing_legacy_id' };
  const rawExpiry = columns.expiresAt === -1 ? '' : record[columns.expiresAt]!.trim();
  let expiresAt: string | null = null;
  if (rawExpiry !== '') {
    const parsed = parseIsoDate(rawExpiry);
    if (!parsed) return { line, reason: 'bad_expires_at' };
    expiresAt = parsed.toISOString();
  }
  return { line, tokenHash, legacyId, expiresAt };
}

const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** An ISO 8601 date or date-time, checked against the calendar (no 31 April). */
export function parseIsoDate(text: string): Date | null {
  const m = ISO_DATE.exec(text);
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate())
    return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  if (offset !== 'Z' && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4, 6)) > 59)) return null;
  const ms = fraction ? `.${fraction.padEnd(3, '0').slice(0, 3)}` : '';
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${offset}`);
  return Number.isNaN(date.getTime()) ? null : date;
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n += 1;
  return n;
}

async function writeBatch(db: Db, rows: LinkRow[], dryRun: boolean, summary: LegacyLinkImportSummary) {
  if (rows.length === 0) return;
  // One statement cannot insert a key twice: a token repeated within a batch keeps its first row.
  // (Repeated further apart, the later row updates the earlier one, as a re-import would.)
  const seen = new Set<string>();
  const unique: LinkRow[] = [];
  for (const row of rows) {
    if (seen.has(row.tokenHash)) summary.skipped.push({ line: row.line, reason: 'duplicate_token' });
    else {
      seen.add(row.tokenHash);
      unique.push(row);
    }
  }
  const hashes = pgArray(unique.map((r) => r.tokenHash));
  const legacyIds = pgArray(unique.map((r) => r.legacyId));

  const known = new Set(
    (
      await queryRows<{ legacy_id: string }>(
        db,
        sql`select ${patients.legacyId} as legacy_id from ${patients}
            where ${patients.legacyId} = any(${legacyIds}::text[])`,
      )
    ).map((r) => r.legacy_id),
  );
  for (const row of unique) if (!known.has(row.legacyId)) summary.unknownLegacyIds += 1;

  if (dryRun) {
    const existing = new Map(
      (
        await db
          .select({
            tokenHash: legacyLinks.tokenHash,
            legacyId: legacyLinks.legacyId,
            expiresAt: legacyLinks.expiresAt,
          })
          .from(legacyLinks)
          .where(sql`${legacyLinks.tokenHash} = any(${hashes}::text[])`)
      ).map((r) => [r.tokenHash, r]),
    );
    for (const row of unique) {
      const before = existing.get(row.tokenHash);
      if (!before) summary.imported += 1;
      else if (
        before.legacyId === row.legacyId &&
        (before.expiresAt?.getTime() ?? null) === (row.expiresAt ? Date.parse(row.expiresAt) : null)
      )
        summary.unchanged += 1;
      else summary.updated += 1;
    }
    return;
  }

  await db.transaction(async (tx) => {
    // A batch lost to a crash is imported again by the next run (idempotent), so the commit need
    // not wait for its WAL flush.
    await tx.execute(sql`select set_config('synchronous_commit', 'off', true)`);
    // A row that changes nothing is not written (and not returned); consumed_at is never touched,
    // so a re-import cannot revive a used link. `xmax = 0` marks a row this statement inserted.
    const written = await queryRows<{ inserted: boolean }>(
      tx,
      sql`insert into legacy_links (token_hash, legacy_id, expires_at)
          select * from unnest(${hashes}::text[], ${legacyIds}::text[],
                               ${pgArray(unique.map((r) => r.expiresAt))}::timestamptz[])
          on conflict (token_hash) do update
            set legacy_id = excluded.legacy_id, expires_at = excluded.expires_at
            where (legacy_links.legacy_id, legacy_links.expires_at)
                  is distinct from (excluded.legacy_id, excluded.expires_at)
          returning (legacy_links.xmax = 0) as inserted`,
    );
    let inserted = 0;
    for (const row of written) if (row.inserted) inserted += 1;
    summary.imported += inserted;
    summary.updated += written.length - inserted;
    summary.unchanged += unique.length - written.length;
  });
}

/** The summary in plain words, for the person who ran the command. */
export function formatLegacyLinkImportSummary(
  summary: LegacyLinkImportSummary,
  options: { dryRun: boolean; file: string },
): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const links = (value: number) => `${n(value)} link${value === 1 ? '' : 's'}`;
  const reasons: Record<LegacyLinkSkipReason, string> = {
    missing_token: 'no token',
    bad_token_hash: 'token_sha256 is not 64 hexadecimal characters',
    missing_legacy_id: 'no legacy_id',
    bad_expires_at: 'expires_at is not a date such as 2027-03-31 or 2027-03-31T23:59:59Z',
    duplicate_token: 'the same token as an earlier row',
    wrong_column_count: 'a different number of columns than the header',
    malformed_row: 'the row could not be read as CSV',
  };
  const lines = [
    options.dryRun
      ? `Dry run: nothing was written. Importing ${options.file} would add ${links(summary.imported)}, update ${n(summary.updated)}, leave ${n(summary.unchanged)} unchanged and skip ${n(summary.skipped.length)} row${summary.skipped.length === 1 ? '' : 's'}.`
      : `Imported legacy links from ${options.file}: ${links(summary.imported)} added, ${n(summary.updated)} updated, ${n(summary.unchanged)} unchanged, ${n(summary.skipped.length)} row${summary.skipped.length === 1 ? '' : 's'} skipped.`,
  ];
  if (summary.unknownLegacyIds > 0)
    lines.push(
      `${links(summary.unknownLegacyIds)} name${summary.unknownLegacyIds === 1 ? 's' : ''} a legacy id no patient has yet; ${summary.unknownLegacyIds === 1 ? 'it works' : 'they work'} once that patient is imported.`,
    );
  if (summary.skipped.length > 0) {
    const shown = 50;
    lines.push('Skipped rows:');
    for (const row of summary.skipped.slice(0, shown))
      lines.push(`  line ${row.line}: ${reasons[row.reason]}`);
    if (summary.skipped.length > shown) lines.push(`  … and ${n(summary.skipped.length - shown)} more.`);
  }
  return lines.join('\n');
}
