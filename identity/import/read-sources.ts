// Streams rows out of a legacy export, one at a time, whatever its size: CSV with a header row, JSON
// Lines, or Auth0's bulk-import JSON array. Memory holds one row, not the file.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse, type Parser } from 'csv-parse';
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

/**
 * The file's rows, a few hundred at a time (what one read of the file holds): a caller loops over each
 * group synchronously instead of awaiting every row.
 */
export async function* readRowGroups(
  file: string,
  format: ImportFormat,
  progress?: ReadProgress,
): AsyncGenerator<SourceRow[]> {
  const totals = progress ?? { bytesRead: 0, totalBytes: 0 };
  totals.totalBytes = (await stat(file)).size;
  const input = createReadStream(file);
  input.on('data', (chunk) => (totals.bytesRead += chunk.length));
  if (format === 'csv') yield* readCsv(input);
  else if (format === 'jsonl') yield* inGroups(readJsonLines(input));
  else yield* inGroups(readAuth0(input));
}

async function* inGroups(rows: AsyncGenerator<SourceRow>): AsyncGenerator<SourceRow[]> {
  let group: SourceRow[] = [];
  for await (const row of rows) {
    group.push(row);
    if (group.length >= 256) {
      yield group;
      group = [];
    }
  }
  if (group.length > 0) yield group;
}

/** A line this long may reach csv-parse's record limit (UTF-8 takes up to 4 bytes a character). */
const PLAIN_LINE_MAX = 16_000;

/**
 * The fields of one line whose quoting is plain RFC 4180 (a field either bare without quotes, or wholly
 * quoted with `""` for a quote); null for anything else: a quoted field going on to the next line, a
 * stray or unclosed quote.
 */
function splitQuoted(text: string): string[] | null {
  const fields: string[] = [];
  let pos = 0;
  for (;;) {
    if (text.charCodeAt(pos) === 0x22) {
      let value = '';
      let from = pos + 1;
      for (;;) {
        const close = text.indexOf('"', from);
        if (close === -1) return null;
        value += text.slice(from, close);
        if (text.charCodeAt(close + 1) === 0x22) {
          value += '"';
          from = close + 2;
          continue;
        }
        pos = close + 1;
        break;
      }
      fields.push(value);
      if (pos === text.length) return fields;
      if (text.charCodeAt(pos) !== 0x2c) return null;
      pos += 1;
    } else {
      const comma = text.indexOf(',', pos);
      const value = text.slice(pos, comma === -1 ? text.length : comma);
      if (value.includes('"')) return null;
      fields.push(value);
      if (comma === -1) return fields;
      pos = comma + 1;
    }
  }
}

/**
 * CSV rows in groups of one file chunk. A line with no carriage return, not long, whose quoting is
 * plain (`splitQuoted`) is split here, which is all csv-parse would do with it; from the first line
 * that is not plain to the end of the file, csv-parse reads the bytes, with its handling of quoting
 * across lines, record size and errors.
 */
async function* readCsv(input: NodeJS.ReadableStream): AsyncGenerator<SourceRow[]> {
  const skipped: SourceRow[] = [];
  let parser: Parser | undefined;
  let failure: unknown;
  /** Lines read by the fast path before csv-parse took over: csv-parse counts from 1 again. */
  let lineOffset = 0;
  let line = 0;
  let header: string[] | undefined;
  let group: SourceRow[] = [];
  let carry: Buffer | undefined;
  let start = true;

  const take = (record: string[], text: string, at: number) => {
    if (!header) {
      header = record.map((h) => h.trim().toLowerCase());
      if (!header.includes('legacy_id')) {
        throw new UnreadableFileError('the file has no legacy_id column in its header row');
      }
      return;
    }
    if (record.length !== header.length) {
      group.push({ line: at, text, error: 'wrong_column_count' });
      return;
    }
    const raw: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) raw[header[i]!] = record[i]!;
    group.push({ line: at, text, raw: raw as RawRow });
  };

  const startParser = () => {
    lineOffset = line;
    parser = parse({
      // csv-parse settles the record delimiter on the first one it meets: the lines before were '\n'.
      ...(lineOffset > 0 ? { record_delimiter: '\n' } : {}),
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: MAX_ROW_BYTES,
      skip_records_with_error: true,
      info: true,
      raw: true,
      on_skip: (error, raw) => {
        const at = ((error as { lines?: number } | undefined)?.lines ?? 0) + lineOffset;
        if (skipped.some((row) => row.line === at)) return undefined;
        const reason: SkipReason = error?.code === 'CSV_MAX_RECORD_SIZE' ? 'field_too_long' : 'malformed_row';
        skipped.push({ line: at, text: (raw ?? '').slice(0, 2_000), error: reason });
        return undefined;
      },
    });
    parser.on('error', (error) => (failure = error));
    return parser;
  };

  const drain = () => {
    if (!parser) return;
    for (
      let item = parser.read() as { record: string[]; raw: string; info: { lines: number } } | null;
      item !== null;
      item = parser.read() as typeof item
    ) {
      while (skipped.length > 0) group.push(skipped.shift()!);
      // csv-parse's raw text begins with the empty lines it skipped before the record: not the row's own.
      const text = item.raw.replace(/\r?\n$/, '').replace(/^(?:\r?\n)+/, '');
      take(item.record, text, item.info.lines + lineOffset - (text.match(/\n/g)?.length ?? 0));
    }
    if (failure) throw failure;
  };

  /** Splits the plain lines at the front of `bytes`; returns where the first line that is not plain starts. */
  const plainLines = (bytes: Buffer, from: number, last: boolean): number => {
    let pos = from;
    let quote = bytes.indexOf(0x22, pos);
    let cr = bytes.indexOf(0x0d, pos);
    while (pos < bytes.length) {
      let end = bytes.indexOf(0x0a, pos);
      if (end === -1) {
        if (!last) return bytes.length - pos > PLAIN_LINE_MAX ? pos : -1 - pos;
        end = bytes.length;
      }
      if ((cr !== -1 && cr < end) || end - pos > PLAIN_LINE_MAX) return pos;
      if (end > pos) {
        const text = bytes.toString('utf8', pos, end);
        const record = quote !== -1 && quote < end ? splitQuoted(text) : text.split(',');
        if (!record) return pos;
        take(record, text, line + 1);
      }
      line += 1;
      pos = end + 1;
      if (quote !== -1 && quote < pos) quote = bytes.indexOf(0x22, pos);
      if (cr !== -1 && cr < pos) cr = bytes.indexOf(0x0d, pos);
    }
    return -1 - pos;
  };

  const feed = (chunk: Buffer | undefined) => {
    if (parser) {
      if (chunk) parser.write(chunk);
      drain();
      return;
    }
    let bytes = chunk ? (carry ? Buffer.concat([carry, chunk]) : chunk) : (carry ?? Buffer.alloc(0));
    carry = undefined;
    let from = 0;
    if (start && bytes.length >= 3) {
      start = false;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) from = 3;
    } else if (start && !chunk) start = false;
    else if (start) {
      // Fewer than three bytes so far: wait for more before deciding about a byte-order mark.
      carry = bytes;
      return;
    }
    const stop = plainLines(bytes, from, !chunk);
    if (stop >= 0) {
      startParser().write(bytes.subarray(stop));
      drain();
    } else if (-1 - stop < bytes.length) carry = bytes.subarray(-1 - stop);
    bytes = Buffer.alloc(0);
  };

  for await (const chunk of input as AsyncIterable<Buffer>) {
    feed(chunk);
    if (group.length > 0) {
      yield group;
      group = [];
    }
  }
  feed(undefined);
  if (parser) {
    const done = parser;
    done.end();
    // The last record, and any error the end of the file reveals (an unclosed quote), come on flush.
    await new Promise<void>((resolve) => {
      done.once('finish', resolve);
      done.once('error', () => resolve());
    });
    drain();
  }
  while (skipped.length > 0) group.push(skipped.shift()!);
  if (group.length > 0) yield group;
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
