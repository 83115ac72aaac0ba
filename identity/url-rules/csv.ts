// Reading the rule and crosswalk files: CSV with a header row, streamed (memory holds one row), each
// record with the line it starts on (the header is line 1), rows that are not CSV reported by line.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';

export interface CsvRecord {
  /** The line the record starts on (a quoted field may span lines). */
  line: number;
  fields: string[];
}

export interface CsvProgress {
  rows: number;
  bytesRead: number;
  totalBytes: number;
}

const MAX_ROW_BYTES = 64 * 1024;

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n += 1;
  return n;
}

/**
 * Every record of the file, the header first. A record that cannot be read as CSV is passed to
 * `onMalformed` with its line and skipped; the rest of the file is still read.
 */
export async function* readCsvRecords(
  file: string,
  options: { onMalformed: (line: number) => void; onProgress?: (progress: CsvProgress) => void },
): AsyncGenerator<CsvRecord> {
  const progress: CsvProgress = { rows: 0, bytesRead: 0, totalBytes: (await stat(file)).size };
  const input = createReadStream(file);
  input.on('data', (chunk) => (progress.bytesRead += chunk.length));
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
        options.onMalformed((error as { lines?: number } | undefined)?.lines ?? 0);
        return undefined;
      },
    }),
  );
  input.on('error', (error) => parser.destroy(error));
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record } = item;
      const line = item.info.lines - record.reduce((n, field) => n + countNewlines(field), 0);
      progress.rows += 1;
      if (progress.rows % 1000 === 0) options.onProgress?.({ ...progress });
      yield { line, fields: record };
    }
  } finally {
    input.destroy();
  }
  options.onProgress?.({ ...progress });
}

/** Column positions by lower-cased header name (-1 when absent). */
export function headerIndex(header: string[]): (name: string) => number {
  const names = header.map((name) => name.trim().toLowerCase());
  return (name) => names.indexOf(name);
}

/** Line numbers as short ranges: `2-7, 9, 12-20`, at most `limit` ranges then "and N more". */
export function formatLines(lines: number[], limit = 10): string {
  const sorted = [...lines].sort((a, b) => a - b);
  const ranges: string[] = [];
  let shownLines = 0;
  for (let i = 0; i < sorted.length && ranges.length < limit;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    ranges.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    shownLines += j - i + 1;
    i = j + 1;
  }
  const more = sorted.length - shownLines;
  return more > 0 ? `${ranges.join(', ')} and ${more.toLocaleString('en-US')} more` : ranges.join(', ');
}
