/** One sample of a Prometheus text exposition: `name{label="value",…} 42`. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text format (version 0.0.4); comments and blank lines are skipped. */
export function parsePrometheusText(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line.trim());
    if (!match?.[1] || match[3] === undefined) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL))
      if (key !== undefined && raw !== undefined)
        labels[key] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The metric families a Prometheus text declares in `# TYPE` lines, also those without samples yet. */
export function declaredFamilies(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((match) => match[1] ?? '');
}

/** What one `/metrics` answered, with sums over the samples that match a name and some labels. */
export class MetricsSnapshot {
  constructor(
    readonly samples: readonly MetricSample[],
    private readonly declared: readonly string[] = [],
  ) {}

  /** The sum of the samples named `name` whose labels include `labels`; 0 when none matches. */
  sum(name: string, labels: Readonly<Record<string, string>> = {}): number {
    return this.matching(name, labels).reduce((total, sample) => total + sample.value, 0);
  }

  matching(name: string, labels: Readonly<Record<string, string>> = {}): MetricSample[] {
    return this.samples.filter(
      (sample) =>
        sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    );
  }

  /** Metric families: declared ones, and the names of samples with a histogram's `_bucket`, `_sum` and `_count` folded in. */
  families(): Set<string> {
    return new Set([
      ...this.declared,
      ...this.samples.map((sample) => sample.name.replace(/_(bucket|sum|count)$/, '')),
    ]);
  }
}

/** Scrapes a service's `/metrics`, failing unless it answers in the Prometheus text format. */
export async function scrapeMetrics(baseUrl: string): Promise<MetricsSnapshot> {
  const answer = await fetch(`${baseUrl}/metrics`);
  const type = answer.headers.get('content-type') ?? '';
  if (answer.status !== 200 || !type.startsWith('text/plain'))
    throw new Error(`${baseUrl}/metrics answered ${answer.status} ${type}`);
  const text = await answer.text();
  return new MetricsSnapshot(parsePrometheusText(text), declaredFamilies(text));
}
