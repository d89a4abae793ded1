// The machine the benchmarks run on: what it is, and how busy it and its processes are while a
// figure is measured (Linux /proc; elsewhere the per-process figures are empty). The services,
// the servers, the load generator and whatever else runs share the machine, so every figure
// comes with these.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { SUITE_SERVICES, type RunningSuite } from '@cqrs-shop/testing';
import { round } from './stats.js';

/** CPU use by process, in % of one core: the suite's services by name, others by command name. */
export type CpuByProcess = Record<string, number>;

/** The machine's CPU time so far, busy and in all, over every core. */
export function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    busy += times.user + times.nice + times.sys + times.irq;
    total += times.user + times.nice + times.sys + times.irq + times.idle;
  }
  return { busy, total };
}

/** The machine's CPU use since `start` (from {@link cpuTimes}), in % of all cores. */
export const cpuBusySince = (start: { busy: number; total: number }): number => {
  const now = cpuTimes();
  return round((100 * (now.busy - start.busy)) / Math.max(1, now.total - start.total));
};

/** CPU ticks (1/100 s) used so far by every process (Linux /proc), by pid, with its name. */
function processTicks(suite: RunningSuite): Map<number, { name: string; ticks: number }> {
  const names = new Map<number, string>([[process.pid, 'bench (this process)']]);
  for (const service of SUITE_SERVICES) {
    const pid = suite.process(service)?.child.pid;
    if (pid !== undefined) names.set(pid, service);
  }
  const ticks = new Map<number, { name: string; ticks: number }>();
  const pids = (() => {
    try {
      return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
    } catch {
      return []; // not Linux
    }
  })();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const end = stat.lastIndexOf(')');
      // After the command name: state, ppid, … utime and stime are the 12th and 13th fields.
      const fields = stat.slice(end + 2).split(' ');
      const name = names.get(Number(pid)) ?? stat.slice(stat.indexOf('(') + 1, end);
      ticks.set(Number(pid), { name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process has ended meanwhile.
    }
  }
  return ticks;
}

/**
 * Starts measuring CPU use by process; the function returned gives the 10 busiest since, added up
 * by name (a process that ended meanwhile is missing).
 */
export function measureCpu(suite: RunningSuite): () => CpuByProcess {
  const before = processTicks(suite);
  const started = performance.now();
  return () => {
    const seconds = (performance.now() - started) / 1_000;
    const used = new Map<string, number>();
    for (const [pid, { name, ticks }] of processTicks(suite))
      used.set(name, (used.get(name) ?? 0) + ticks - (before.get(pid)?.ticks ?? 0));
    return Object.fromEntries(
      [...used]
        .filter(([, ticks]) => ticks > 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10)
        .map(([name, ticks]) => [name, round(ticks / seconds, 0)]),
    );
  };
}

/**
 * CPU ticks (1/100 s) used so far by this process's children that have ended: the way to count a
 * short-lived child (a command run once), which is gone from /proc when a measurement ends.
 * 0 where there is no /proc.
 */
export function endedChildrenCpuTicks(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // After the command name: … cutime and cstime are the 14th and 15th fields.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[13]) + Number(fields[14]);
  } catch {
    return 0;
  }
}

/** What the machine is, and how loaded it was when asked (1, 5 and 15 minute load averages). */
export function describeMachine(): {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  loadAverage: number[];
  node: string;
} {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30),
    loadAverage: loadavg().map((load) => round(load, 2)),
    node: process.version,
  };
}
