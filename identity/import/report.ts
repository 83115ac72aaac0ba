// What an import tells the person running it: a progress bar on a terminal, then a summary table.
import type { ImportSummary } from './import-patients.ts';
import type { ReadProgress } from './read-sources.ts';

const outcomes = ['imported', 'updated', 'unchanged', 'flagged', 'skipped'] as const;

export function formatImportSummary(
  summary: ImportSummary,
  resources?: { seconds: number; peakRssMb: number },
): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const lines = [
    summary.dryRun
      ? 'Dry run: nothing was written. An import would do this:'
      : `Import finished (run ${summary.runId}).`,
    '',
    `  ${'outcome'.padEnd(12)}${'rows'.padStart(10)}`,
    `  ${'-'.repeat(22)}`,
  ];
  for (const outcome of outcomes)
    lines.push(`  ${outcome.padEnd(12)}${n(summary.byOutcome[outcome] ?? 0).padStart(10)}`);
  lines.push(`  ${'total'.padEnd(12)}${n(summary.rows).padStart(10)}`);
  const reasons = Object.entries(summary.byReason).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (reasons.length > 0) {
    lines.push('', `  ${'outcome/reason'.padEnd(40)}${'rows'.padStart(10)}`, `  ${'-'.repeat(50)}`);
    for (const [key, count] of reasons) lines.push(`  ${key.padEnd(40)}${n(count).padStart(10)}`);
  }
  if (resources) {
    const rate = Math.round(summary.rows / Math.max(resources.seconds, 0.001));
    lines.push(
      '',
      `Took ${resources.seconds.toFixed(1)} s (${n(rate)} rows/s); peak memory ${Math.round(resources.peakRssMb)} MB.`,
    );
  }
  if (!summary.dryRun && ((summary.byOutcome.flagged ?? 0) > 0 || (summary.byOutcome.skipped ?? 0) > 0)) {
    lines.push(
      '',
      'Flagged and skipped rows are listed, with their reasons, in the staff console under Imports.',
    );
  }
  return lines.join('\n');
}

/** A one-line progress bar, redrawn in place, only when the stream is a terminal. */
export function progressBar(stream: NodeJS.WriteStream) {
  const started = Date.now();
  let last = 0;
  return {
    update: (progress: { rows: number } & ReadProgress) => {
      if (!stream.isTTY || Date.now() - last < 100) return;
      last = Date.now();
      const fraction = progress.totalBytes ? Math.min(1, progress.bytesRead / progress.totalBytes) : 0;
      const width = 30;
      const filled = Math.round(fraction * width);
      const rate = Math.round(progress.rows / Math.max(0.001, (Date.now() - started) / 1000));
      stream.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}%  ${progress.rows.toLocaleString('en-US')} rows  ${rate.toLocaleString('en-US')} rows/s `,
      );
    },
    done: () => {
      if (stream.isTTY && last > 0) stream.write('\n');
    },
  };
}
