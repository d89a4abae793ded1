// The report as people read it: per read model the counts, then the differences listed.
import type { Difference } from './differences.js';
import type { ConvergenceReport, ReadModelReport } from './report.js';

const MAX_VALUE_LENGTH = 200;

/** The whole report as text, ending in a one-line verdict. */
export function formatSummary(report: ConvergenceReport): string {
  const width = Math.max(...report.readModels.map(({ readModel }) => readModel.length));
  const sections = report.readModels.map((readModel) => formatReadModel(readModel, width));
  const verdict = report.converged
    ? 'Converged: every read model checked matches the write model.'
    : `Not converged: ${plural(report.differenceCount, 'difference')}.`;
  return [...sections, '', verdict, ''].join('\n');
}

function formatReadModel(report: ReadModelReport, width: number): string {
  const heading = `${report.readModel.padEnd(width)}  ${plural(report.compared, 'aggregate')} compared, ${plural(report.differenceCount, 'difference')}`;
  const listed = report.differences.map((difference) => `  ${formatDifference(difference)}`);
  const unlisted = report.differenceCount - report.differences.length;
  const more = unlisted > 0 ? [`  … and ${unlisted} more (--limit N lists more)`] : [];
  return [heading, ...listed, ...more].join('\n');
}

/** One difference on one line, e.g. `order:42 status: expected "PAID", found "PLACED"`. */
export function formatDifference(difference: Difference): string {
  const { kind, aggregate, field, expected, actual } = difference;
  switch (kind) {
    case 'missing':
      return `${aggregate} missing in the read model (write model at version ${formatValue(expected)})`;
    case 'extra':
      return `${aggregate} not in the write model${actual === null ? '' : ` (read model at version ${formatValue(actual)})`}`;
    case 'field':
      return `${aggregate} ${field}: expected ${formatValue(expected)}, found ${formatValue(actual)}`;
  }
}

function formatValue(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}

const plural = (count: number, noun: string) =>
  `${count.toLocaleString('en')} ${noun}${count === 1 ? '' : 's'}`;
