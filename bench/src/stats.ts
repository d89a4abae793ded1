/** Latency summary of a set of samples, in ms. */
export function summarize(samples: readonly number[]): {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
} {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
  return {
    count: sorted.length,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

export const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** The median of a set of figures (the lower middle one of an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
}

/** Latency percentiles of one measurement, in ms. */
export interface Latency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Each percentile's median over several measurements (one per run). */
export function medianLatency(latencies: readonly Latency[]): Latency {
  const of = (pick: (latency: Latency) => number) => median(latencies.map(pick));
  return { p50: of((l) => l.p50), p95: of((l) => l.p95), p99: of((l) => l.p99), max: of((l) => l.max) };
}

/**
 * The median of several measurements of the same shape: each number is the median of its
 * counterparts (numbers missing in some measurements are left out), objects and arrays member by
 * member; anything else is taken from the first.
 */
export function medianOf<T>(measurements: readonly T[]): T {
  const present = measurements.filter((m) => m !== undefined && m !== null);
  const first = present[0];
  if (typeof first === 'number') return median(present as readonly number[]) as T;
  if (Array.isArray(first))
    return first.map((_, i) => medianOf(present.map((m) => (m as unknown[])[i]))) as T;
  if (typeof first === 'object') {
    const keys = new Set(present.flatMap((m) => Object.keys(m as object)));
    return Object.fromEntries(
      [...keys].map((key) => [key, medianOf(present.map((m) => (m as Record<string, unknown>)[key]))]),
    ) as T;
  }
  return (first ?? measurements[0]) as T;
}

/** A text table: the first column left-aligned, the others right-aligned; null shows as '-'. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly (string | number | null)[])[],
): string {
  const cells = [headers, ...rows.map((row) => row.map((cell) => (cell === null ? '-' : String(cell))))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  return [line(cells[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)]
    .map((row) => `  ${row}`)
    .join('\n');
}
