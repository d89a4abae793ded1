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
