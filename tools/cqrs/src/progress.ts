// How a rebuild shows its progress: a live bar on a terminal, a plain line now and then when the
// output is a file or a pipe (CI, a Kubernetes Job's log), or one JSON object per line.
import type { RebuildReport } from '@cqrs-shop/projector';

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

export function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/**
 * A bar per projection, redrawn in place (two lines each: the bar, and the partitions). Several
 * projections rebuilt at once each keep their lines.
 */
export function terminalSink(stream: NodeJS.WriteStream): ProgressSink {
  const latest = new Map<string, RebuildReport>();
  let drawnLines = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    const width = Math.max(40, stream.columns || 100);
    const lines: string[] = [];
    for (const report of latest.values()) {
      const head = `${report.name.padEnd(13)} v${String(report.version).padEnd(3)}`;
      const tail = ` ${percent(report).toFixed(0).padStart(3)}% ${number(report.progress.applied)}/${number(report.progress.total)} ${number(report.progress.eventsPerSecond)} ev/s ETA ${formatDuration(report.progress.etaSeconds)} ${report.phase}`;
      const barWidth = Math.max(10, Math.min(40, width - head.length - tail.length - 4));
      lines.push(`${head} [${bar(percent(report) / 100, barWidth)}]${tail}`.slice(0, width - 1));
      lines.push(`  ${partitionLine(report)}`.slice(0, width - 1));
    }
    // Up to the first line drawn last time, then every line cleared and written again.
    if (drawnLines > 0) stream.write(`\x1b[${drawnLines}F`);
    stream.write(lines.map((line) => `\x1b[2K${line}\n`).join(''));
    drawnLines = lines.length;
  };
  return {
    update(report) {
      latest.set(report.name, report);
      // At most ten redraws a second, however often reports come.
      timer ??= setTimeout(() => {
        timer = undefined;
        draw();
      }, 100);
    },
    finish() {
      clearTimeout(timer);
      timer = undefined;
      if (latest.size > 0) draw();
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
