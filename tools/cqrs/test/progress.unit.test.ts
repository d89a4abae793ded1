import type { RebuildReport } from '@cqrs-shop/projector';
import { formatDuration, terminalSink, jsonSink, partitionLine, plainSink, summaryLine } from '../src';

const report = (applied: number, phase: RebuildReport['phase'] = 'replaying'): RebuildReport => ({
  name: 'search',
  version: 2,
  phase,
  resumed: false,
  until: null,
  progress: {
    applied,
    total: 10_000,
    eventsPerSecond: 2_500,
    etaSeconds: (10_000 - applied) / 2_500,
    partitions: [
      { topic: 'shop.orders.v1', partition: 0, position: 1_200, end: 2_000 },
      { topic: 'shop.orders.v1', partition: 1, position: 800, end: 800 },
    ],
    updatedAt: '2026-11-24T10:00:00.000Z',
  },
});

class Collect {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

describe('rebuild progress', () => {
  it('summarises events applied of the total, rate, ETA and each partition position', () => {
    expect(summaryLine(report(5_000))).toBe('search v2 replaying 50% 5,000/10,000 events 2,500 ev/s ETA 2s');
    expect(partitionLine(report(5_000))).toBe('shop.orders.v1/0 1,200/2,000 · shop.orders.v1/1 800/800');
  });

  it('shows durations a person can read', () => {
    expect(formatDuration(59)).toBe('59s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(7_300)).toBe('2h01m');
    expect(formatDuration(null)).toBe('?');
  });

  it('prints plain lines at most every interval, and always on a change of phase', () => {
    const out = new Collect();
    const sink = plainSink(out as unknown as NodeJS.WritableStream, 60_000);
    sink.update(report(1_000));
    sink.update(report(2_000));
    sink.update(report(10_000, 'switching'));
    expect(out.text.trim().split('\n')).toHaveLength(2);
    expect(out.text).toContain('search v2 switching 100%');
  });

  it('prints one JSON object per report', () => {
    const out = new Collect();
    const sink = jsonSink(out as unknown as NodeJS.WritableStream);
    sink.update(report(1_000));
    sink.update(report(2_000));
    const lines = out.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; progress: { applied: number } });
    expect(lines.map((l) => [l.type, l.progress.applied])).toEqual([
      ['progress', 1_000],
      ['progress', 2_000],
    ]);
  });

  it('draws a bar per projection on a terminal, with its partitions under it', () => {
    const out = new Collect();
    const terminal = Object.assign(out, { isTTY: true, columns: 120 }) as unknown as NodeJS.WriteStream;
    const sink = terminalSink(terminal);
    sink.update(report(5_000));
    sink.update({ ...report(10_000, 'switching'), name: 'analytics' });
    sink.finish();
    expect(out.text).toMatch(/search +v2 +\[█{15}░{15}\] +50% 5,000\/10,000 2,500 ev\/s ETA 2s replaying/);
    expect(out.text).toMatch(/analytics +v2 +\[█{30}\] +100% 10,000\/10,000 .* switching/);
    expect(out.text).toContain('shop.orders.v1/0 1,200/2,000 · shop.orders.v1/1 800/800');
  });
});
