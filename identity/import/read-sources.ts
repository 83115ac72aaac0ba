// Streams rows out of a legacy export, one at a time, whatever its size: CSV with a header row, JSON
// Lines, or Auth0's bulk-import JSON array. Memory holds one row, not the file.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import type { RawRow, SkipReason } from './normalize-row.ts';

export type ImportFormat = 'csv' | 'jsonl' | 'auth0';

export interface SourceRow {
  /** The line of the file where the row starts (the header is line 1 of a CSV). */
  line: number;
  /** The row as read, for the migration log. */
  text: string;
  raw?: RawRow;
  /** Set when the row could not be read at all. */
  error?: SkipReason;
}

export interface ReadProgress {
  bytesRead: number;
  totalBytes: number;
}

/** A file whose header cannot be used at all (the run stops before writing anything). */
export class UnreadableFileError extends Error {}

const MAX_ROW_BYTES = 64 * 1024;

export async function* readRows(
  file: string,
  format: ImportFormat,
  progress?: ReadProgress,
): AsyncGenerator<SourceRow> {
  const totals = progress ?? { bytesRead: 0, totalBytes: 0 };
  totals.totalBytes = (await stat(file)).size;
  const input = createReadStream(file);
  input.on('data', (chunk) => (totals.bytesRead += chunk.length));
  if (format === 'csv') yield* readCsv(input);
  else if (format === 'jsonl') yield* readJsonLines(input);
  else yield* readAuth0(input);
}

async function* readCsv(input: NodeJS.ReadableStream): AsyncGenerator<SourceRow> {
  const skipped: SourceRow[] = [];
  const parser = input.pipe(
    parse({
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: MAX_ROW_BYTES,
      skip_records_with_error: true,
      info: true,
      raw: true,
      on_skip: (error, raw) => {
        const line = (error as { lines?: number } | undefined)?.lines ?? 0;
        if (skipped.some((row) => row.line === line)) return undefined;
        const reason: SkipReason = error?.code === 'CSV_MAX_RECORD_SIZE' ? 'field_too_long' : 'malformed_row';
        skipped.push({ line, text: (raw ?? '').slice(0, 2_000), error: reason });
        return undefined;
      },
    }),
  );
  let header: string[] | undefined;
  for await (const item of parser as AsyncIterable<{
    record: string[];
    raw: string;
    info: { lines: number };
  }>) {
    while (skipped.length > 0) yield skipped.shift()!;
    const text = item.raw.replace(/\r?\n$/, '');
    const line = item.info.lines - (text.match(/\n/g)?.length ?? 0);
    if (!header) {
      header = item.record.map((h) => h.trim().toLowerCase());
      if (!header.includes('legacy_id')) {
        throw new UnreadableFileError('the file has no legacy_id column in its header row');
      }
      continue;
    }
    if (item.record.length !== header.length) {
      yield { line, text, error: 'wrong_column_count' };
      continue;
    }
    const raw: Record<string, string> = {};
    header.forEach((name, i) => (raw[name] = item.record[i]!));
    yield { line, text, raw: raw as RawRow };
  }
  while (skipped.length > 0) yield skipped.shift()!;
  if (!header) throw new UnreadableFileError('the file is empty: it has no header row');
}

/** Lines of at most MAX_ROW_BYTES; a longer one is reported and dropped without being held whole. */
async function* splitLines(
  input: NodeJS.ReadableStream,
): AsyncGenerator<{ line: number; text: string; tooLong: boolean }> {
  let buffer = '';
  let line = 1;
  let tooLong = false;
  input.setEncoding?.('utf8');
  for await (const chunk of input as AsyncIterable<string>) {
    let start = 0;
    for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, i);
      const text = tooLong ? buffer : buffer + piece;
      yield { line, text: text.replace(/\r$/, ''), tooLong: tooLong || text.length > MAX_ROW_BYTES };
      buffer = '';
      tooLong = false;
      line += 1;
      start = i + 1;
    }
    if (!tooLong) {
      buffer += chunk.slice(start);
      if (buffer.length > MAX_ROW_BYTES) {
        tooLong = true;
        buffer = buffer.slice(0, 200);
      }
    }
  }
  if (buffer.length > 0 || tooLong) yield { line, text: buffer, tooLong };
}

async function* readJsonLines(input: NodeJS.ReadableStream): AsyncGenerator<SourceRow> {
  for await (const { line, text, tooLong } of splitLines(input)) {
    if (text.trim() === '' && !tooLong) continue;
    if (tooLong) {
      yield { line, text: text.slice(0, 200), error: 'field_too_long' };
      continue;
    }
    try {
      const value: unknown = JSON.parse(text);
      if (!value || typeof value !== 'object' || Array.isArray(value))
        yield { line, text, error: 'malformed_row' };
      else yield { line, text, raw: value as RawRow };
    } catch {
      yield { line, text, error: 'malformed_row' };
    }
  }
}

/** Auth0's bulk-import file is one JSON array of users: split it into objects as bytes arrive. */
async function* readAuth0(input: NodeJS.ReadableStream): AsyncGenerator<SourceRow> {
  input.setEncoding?.('utf8');
  let depth = 0;
  let inString = false;
  let escaped = false;
  let capturing = false;
  let current = '';
  let line = 1;
  let startLine = 1;
  let sawArray = false;
  for await (const chunk of input as AsyncIterable<string>) {
    for (const ch of chunk) {
      if (ch === '\n') line += 1;
      if (capturing) current += ch;
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') inString = true;
      else if (ch === '[' || ch === '{') {
        if (depth === 0 && ch === '{')
          throw new UnreadableFileError('an Auth0 export is a JSON array of users, and this file is not');
        if (depth === 0) sawArray = true;
        if (depth === 1 && ch === '{') {
          capturing = true;
          current = '{';
          startLine = line;
        }
        depth += 1;
      } else if (ch === ']' || ch === '}') {
        depth -= 1;
        if (depth === 1 && capturing) {
          yield toAuth0Row(startLine, current);
          capturing = false;
          current = '';
        }
      }
      if (current.length > MAX_ROW_BYTES) {
        throw new UnreadableFileError(
          `the user starting on line ${startLine} is larger than ${MAX_ROW_BYTES} bytes`,
        );
      }
    }
  }
  if (!sawArray)
    throw new UnreadableFileError('an Auth0 export is a JSON array of users, and this file is not');
}

function toAuth0Row(line: number, text: string): SourceRow {
  let user: Record<string, unknown>;
  try {
    user = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { line, text, error: 'malformed_row' };
  }
  const meta = {
    ...(user.user_metadata as object | undefined),
    ...(user.app_metadata as object | undefined),
  } as Record<string, unknown>;
  const pick = (key: string, ...alternatives: string[]) =>
    [key, ...alternatives].map((k) => user[k] ?? meta[k]).find((v) => v !== undefined);
  const hash = user.custom_password_hash;
  const raw: RawRow = {
    legacy_id: pick('legacy_id', 'user_id'),
    email: pick('email'),
    phone: pick('phone_number', 'phone'),
    given_name: pick('given_name'),
    family_name: pick('family_name'),
    birth_date: pick('birth_date', 'birthdate'),
    password_hash: hash && typeof hash === 'object' ? JSON.stringify(hash) : undefined,
    cohort: pick('cohort'),
    locale: pick('locale'),
    time_zone: pick('time_zone', 'zoneinfo'),
    email_opt_in: pick('email_opt_in'),
    sms_opt_in: pick('sms_opt_in'),
    new_platform_id: pick('new_platform_id'),
    status: user.blocked === true ? 'closed' : pick('status'),
    legacy_created_at: pick('legacy_created_at', 'created_at'),
  };
  return { line, text, raw };
}
