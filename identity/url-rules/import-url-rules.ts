// `causeway import url-rules FILE`: CSV with a header row naming `source` and `target`, and optionally
// `when`, `status`, `note` and `position` (DESIGN §4.4). Every row is checked before anything is
// written: one bad row and nothing is, and each bad row is reported with its line and reasons. Then
// all rows are written in one transaction, idempotently by (source, when): a row that changes nothing
// is left alone. `--replace` also removes the rules the file no longer has. A dry run does the same
// work in a transaction that is rolled back, so its figures are exactly what a real run would write.
//
// Patterns are tried in file order: a pattern's position is its `position` column or its line number.
import { sql } from 'drizzle-orm';
import { appendAudit } from '../../db/audit.ts';
import type { Db, DbOrTx } from '../../db/client.ts';
import { pgArray, queryRows } from '../../db/pg-array.ts';
import { formatLines, headerIndex, readCsvRecords, type CsvProgress } from './csv.ts';
import { validateRule, type ValidRule } from './rules.ts';

export type UrlRuleOutcome = 'added' | 'updated' | 'unchanged';

export interface InvalidRuleRow {
  line: number;
  problems: string[];
}

export interface UrlRuleImportSummary {
  dryRun: boolean;
  replace: boolean;
  /** Data rows read (the header is not one). */
  rows: number;
  /** Line numbers by outcome (empty when nothing was written). */
  lines: Record<UrlRuleOutcome, number[]>;
  /** Rules removed because the file no longer has them (with `replace`). */
  removed: number;
  /** Rows that are not valid rules: when there is one, nothing is written. */
  invalid: InvalidRuleRow[];
}

/** A file that cannot be imported at all (its header): nothing is written. */
export class UnusableUrlRulesFile extends Error {}

class DryRunRollback extends Error {}

interface Columns {
  source: number;
  target: number;
  when: number;
  status: number;
  note: number;
  position: number;
  width: number;
}

function readHeader(fields: string[]): Columns {
  const at = headerIndex(fields);
  const columns = {
    source: at('source'),
    target: at('target'),
    when: at('when'),
    status: at('status'),
    note: at('note'),
    position: at('position'),
    width: fields.length,
  };
  if (columns.source === -1 || columns.target === -1)
    throw new UnusableUrlRulesFile(
      'the header row needs a source and a target column, and optionally when, status, note and position',
    );
  return columns;
}

function readRule(fields: string[], columns: Columns) {
  const field = (index: number) => (index === -1 ? undefined : fields[index]);
  return validateRule({
    source: fields[columns.source] ?? '',
    target: fields[columns.target] ?? '',
    when: field(columns.when),
    status: field(columns.status),
    note: field(columns.note),
    position: field(columns.position),
  });
}

export async function importUrlRules(options: {
  db: Db;
  file: string;
  dryRun?: boolean;
  /** Remove the rules the file does not have. */
  replace?: boolean;
  /** Who ran it, for the audit log and `created_by`: `cli`, or a staff member's id. */
  startedBy?: string;
  /** Rows per statement. */
  batchSize?: number;
  onProgress?: (progress: CsvProgress) => void;
}): Promise<UrlRuleImportSummary> {
  const { db, file } = options;
  const dryRun = options.dryRun ?? false;
  const replace = options.replace ?? false;
  const startedBy = options.startedBy ?? 'cli';
  const batchSize = options.batchSize ?? 2_000;
  const summary: UrlRuleImportSummary = {
    dryRun,
    replace,
    rows: 0,
    lines: { added: [], updated: [], unchanged: [] },
    removed: 0,
    invalid: [],
  };

  // First pass: every row checked, duplicates of (source, when) found; nothing written.
  let columns: Columns | null = null;
  const firstLine = new Map<string, number>();
  const malformed: number[] = [];
  for await (const { line, fields } of readCsvRecords(file, {
    onMalformed: (l) => malformed.push(l),
    onProgress: options.onProgress,
  })) {
    if (!columns) {
      columns = readHeader(fields);
      continue;
    }
    summary.rows += 1;
    if (fields.length !== columns.width) {
      summary.invalid.push({
        line,
        problems: [`the row has ${fields.length} fields and the header ${columns.width}`],
      });
      continue;
    }
    const checked = readRule(fields, columns);
    if (!checked.ok) {
      summary.invalid.push({ line, problems: checked.problems });
      continue;
    }
    const key = `${checked.rule.when}\u0000${checked.rule.source}`;
    const earlier = firstLine.get(key);
    if (earlier !== undefined)
      summary.invalid.push({
        line,
        problems: [`line ${earlier} already has a rule for ${checked.rule.source} (${checked.rule.when})`],
      });
    else firstLine.set(key, line);
  }
  if (!columns) throw new UnusableUrlRulesFile('the file is empty: it has no header row');
  summary.rows += malformed.length;
  for (const line of malformed)
    summary.invalid.push({ line, problems: ['the row could not be read as CSV'] });
  summary.invalid.sort((a, b) => a.line - b.line);
  firstLine.clear();
  if (summary.invalid.length > 0) return summary;

  // Second pass: written in one transaction (rolled back for a dry run).
  const cols = columns;
  try {
    await db.transaction(async (tx) => {
      if (replace)
        await tx.execute(
          sql`create temporary table url_rule_import_keys (source text, "when" text) on commit drop`,
        );
      let batch: { line: number; rule: ValidRule }[] = [];
      const flush = async () => {
        if (batch.length > 0)
          await writeBatch(tx, batch, { startedBy, replace, notes: cols.note !== -1, summary });
        batch = [];
      };
      let header = true;
      for await (const { line, fields } of readCsvRecords(file, { onMalformed: () => {} })) {
        if (header) {
          header = false;
          continue;
        }
        const checked = readRule(fields, cols);
        if (fields.length !== cols.width || !checked.ok)
          throw new Error(`${file} changed while it was imported (line ${line}); nothing was written`);
        batch.push({ line, rule: checked.rule });
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      if (replace) {
        const removed = await queryRows<{ id: string }>(
          tx,
          sql`delete from url_rules r
              where not exists (select 1 from url_rule_import_keys k
                                where k.source = r.source and k."when" = r."when")
              returning r.id`,
        );
        summary.removed = removed.length;
      }
      if (dryRun) throw new DryRunRollback();
      await appendAudit(tx, {
        action: 'url_rules.imported',
        actorType: startedBy === 'cli' ? 'cli' : 'staff',
        actorId: startedBy === 'cli' ? null : startedBy,
        data: {
          added: summary.lines.added.length,
          updated: summary.lines.updated.length,
          unchanged: summary.lines.unchanged.length,
          removed: summary.removed,
          replace,
        },
      });
    });
  } catch (error) {
    if (!(error instanceof DryRunRollback)) throw error;
  }
  for (const lines of Object.values(summary.lines)) lines.sort((a, b) => a - b);
  return summary;
}

async function writeBatch(
  tx: DbOrTx,
  batch: { line: number; rule: ValidRule }[],
  options: { startedBy: string; replace: boolean; notes: boolean; summary: UrlRuleImportSummary },
) {
  const rules = batch.map((b) => b.rule);
  const sources = pgArray(rules.map((r) => r.source));
  const whens = pgArray(rules.map((r) => r.when));
  const values = sql`select * from unnest(
      ${pgArray(rules.map((r) => r.kind))}::text[], ${sources}::text[], ${pgArray(rules.map((r) => r.target))}::text[],
      ${whens}::text[], ${pgArray(rules.map((r) => r.status))}::int[],
      ${pgArray(batch.map((b) => (b.rule.kind === 'pattern' ? (b.rule.position ?? b.line) : 0)))}::int[],
      ${pgArray(rules.map((r) => r.note))}::text[],
      ${pgArray(rules.map(() => options.startedBy))}::text[])`;
  // Without a note column, staff's notes stay as they are.
  const written = await queryRows<{ source: string; when: string; inserted: boolean }>(
    tx,
    options.notes
      ? sql`insert into url_rules (kind, source, target, "when", status, position, note, created_by) ${values}
            on conflict (source, "when") do update
              set kind = excluded.kind, target = excluded.target, status = excluded.status,
                  position = excluded.position, note = excluded.note
              where (url_rules.kind, url_rules.target, url_rules.status, url_rules.position, url_rules.note)
                    is distinct from
                    (excluded.kind, excluded.target, excluded.status, excluded.position, excluded.note)
            returning source, "when", (xmax = 0) as inserted`
      : sql`insert into url_rules (kind, source, target, "when", status, position, note, created_by) ${values}
            on conflict (source, "when") do update
              set kind = excluded.kind, target = excluded.target, status = excluded.status,
                  position = excluded.position
              where (url_rules.kind, url_rules.target, url_rules.status, url_rules.position)
                    is distinct from (excluded.kind, excluded.target, excluded.status, excluded.position)
            returning source, "when", (xmax = 0) as inserted`,
  );
  const lineOf = new Map(batch.map((b) => [`${b.rule.when}\u0000${b.rule.source}`, b.line]));
  const { lines } = options.summary;
  for (const row of written) {
    const key = `${row.when}\u0000${row.source}`;
    (row.inserted ? lines.added : lines.updated).push(lineOf.get(key)!);
    lineOf.delete(key);
  }
  for (const line of lineOf.values()) lines.unchanged.push(line);
  if (options.replace)
    await tx.execute(
      sql`insert into url_rule_import_keys (source, "when")
          select * from unnest(${sources}::text[], ${whens}::text[])`,
    );
}

/** The report for the person who ran the import. */
export function formatUrlRuleImportReport(summary: UrlRuleImportSummary, options: { file: string }): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const rules = (value: number) => `${n(value)} rule${value === 1 ? '' : 's'}`;
  if (summary.invalid.length > 0) {
    const bad = summary.invalid.length;
    const lines = [
      `${options.file} has ${n(bad)} row${bad === 1 ? '' : 's'} that ${bad === 1 ? 'is not a valid rule' : 'are not valid rules'} (of ${n(summary.rows)}); nothing was written.`,
    ];
    const shown = 50;
    for (const row of summary.invalid.slice(0, shown))
      lines.push(`  line ${row.line}: ${row.problems.join('; ')}`);
    if (bad > shown) lines.push(`  … and ${n(bad - shown)} more.`);
    return lines.join('\n');
  }
  const { added, updated, unchanged } = summary.lines;
  const lines = [
    summary.dryRun
      ? `Dry run: nothing was written. Importing ${options.file} would add ${rules(added.length)}, update ${n(updated.length)}, leave ${n(unchanged.length)} unchanged${summary.replace ? ` and remove ${n(summary.removed)}` : ''}.`
      : `Imported URL rules from ${options.file}: ${rules(added.length)} added, ${n(updated.length)} updated, ${n(unchanged.length)} unchanged${summary.replace ? `, ${n(summary.removed)} removed` : ''}.`,
  ];
  for (const [outcome, list] of [
    ['added', added],
    ['updated', updated],
    ['unchanged', unchanged],
  ] as const) {
    if (list.length > 0)
      lines.push(
        `  ${outcome.padEnd(10)}${n(list.length).padStart(9)}  (line${list.length === 1 ? '' : 's'} ${formatLines(list)})`,
      );
  }
  if (!summary.dryRun && (added.length > 0 || updated.length > 0 || summary.removed > 0))
    lines.push('A running portal picks the changes up when it next reloads its rules.');
  return lines.join('\n');
}
