// How a rebuild shows its progress: a live bar on a terminal, a plain line now and then when the
// output is a file or a pipe (CI, a Kubernetes Job's log), or one JSON object per line.
import type { RebuildReport } from '@cqrs-shop/projector';
import { MultiBar, type SingleBar } from 'cli-progress';

export interface ProgressSink {
  update(report: RebuildReport): void;
  /** Called once at the end, so the last state stays visible. */
  finish(): void;
}

const number = (n: number) => Math.round(n).toLocaleString('en-US');

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3_600)
    return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3_600)}h${String(Math.floor((seconds % 3_600) / 60)).padStart(2, '0')}m`;
}

function percent(report: RebuildReport): number {
  const { applied, total } = report.progress;
  return total === 0 ? 100 : Math.min(100, (applied / total) * 100);
}

/** `search v2 replaying 54% 54,123/100,000 events 3,210 ev/s ETA 14s` */
export function summaryLine(report: RebuildReport): string {
  const { applied, total, eventsPerSecond, etaSeconds } = report.progress;
  const kind = report.until ? ` (as of ${report.until})` : '';
  return (
    `${report.name} v${report.version}${kind} ${report.phase} ${percent(report).toFixed(0)}% ` +
    `${number(applied)}/${number(total)} events ${number(eventsPerSecond)} ev/s ETA ${formatDuration(etaSeconds)}`
  );
}

/** `orders/0 1,204/2,000 · orders/1 …`: where each partition is. */
export function partitionLine(report: RebuildReport, topicPrefixLength = 0): string {
  return report.progress.partitions
    .map((p) => `${p.topic.slice(topicPrefixLength)}/${p.partition} ${number(p.position)}/${number(p.end)}`)
    .join(' · ');
}

/**
 * A bar per projection (cli-progress), redrawn in place at most ten times a second, with the
 * partitions on the line under it. Several projections rebuilt at once each keep their lines.
 */
export function terminalSink(stream: NodeJS.WriteStream): ProgressSink {
  const bars = new MultiBar({
    stream,
    fps: 10,
    hideCursor: true,
    clearOnComplete: false,
    linewrap: false,
    autopadding: true,
    barsize: 30,
    barCompleteChar: '█',
    barIncompleteChar: '░',
  });
  const shown = new Map<string, { readonly bar: SingleBar; readonly partitions: SingleBar }>();
  const payload = (report: RebuildReport) => ({
    projection: `${report.name.padEnd(13)} v${String(report.version).padEnd(3)}`,
    applied: number(report.progress.applied),
    events: number(report.progress.total),
    rate: number(report.progress.eventsPerSecond),
    remaining: formatDuration(report.progress.etaSeconds),
    phase: report.phase,
    partitions: partitionLine(report),
  });
  return {
    update(report) {
      // A total of 0 (nothing to replay) shows as done, as the plain lines say 100%.
      const total = Math.max(1, report.progress.total);
      const value = report.progress.total === 0 ? 1 : Math.min(report.progress.applied, total);
      let lines = shown.get(report.name);
      if (lines === undefined) {
        lines = {
          bar: bars.create(total, value, payload(report), {
            format:
              '{projection} [{bar}] {percentage}% {applied}/{events} {rate} ev/s ETA {remaining} {phase}',
          }),
          partitions: bars.create(1, 0, payload(report), { format: '  {partitions}' }),
        };
        shown.set(report.name, lines);
      }
      lines.bar.setTotal(total);
      lines.bar.update(value, payload(report));
      lines.partitions.update(0, payload(report));
    },
    finish() {
      bars.stop();
    },
  };
}

/** One line per projection every `everyMs`, and on every change of phase. */
export function plainSink(stream: NodeJS.WritableStream, everyMs = 5_000): ProgressSink {
  const last = new Map<string, { at: number; phase: string }>();
  return {
    update(report) {
      const previous = last.get(report.name);
      const now = Date.now();
      if (previous && previous.phase === report.phase && now - previous.at < everyMs) return;
      last.set(report.name, { at: now, phase: report.phase });
      stream.write(`${new Date(now).toISOString()} ${summaryLine(report)} | ${partitionLine(report)}\n`);
    },
    finish() {
      // Every line is final as written.
    },
  };
}

/** Every report as one JSON object on its own line. */
export function jsonSink(stream: NodeJS.WritableStream): ProgressSink {
  return {
    update(report) {
      stream.write(`${JSON.stringify({ type: 'progress', ...report })}\n`);
    },
    finish() {
      // Every line is final as written.
    },
  };
}
