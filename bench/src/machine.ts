// The machine the benchmarks run on: what it is, and how busy it and its processes are while a
// figure is measured (Linux /proc; elsewhere the per-process figures are empty). The services,
// the servers, the load generator and whatever else runs share the machine, so every figure
// comes with these.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { SUITE_SERVICES, stackHome, type RunningSuite } from '@cqrs-shop/testing';
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

/** One process as /proc/<pid>/stat shows it (Linux); CPU times in ticks of 1/100 s. */
interface ProcessStat {
  pid: number;
  ppid: number;
  /** Its command name (Node's is MainThread). */
  name: string;
  /** CPU time it used itself: utime + stime. */
  ticks: number;
  /** CPU time of its children that have ended and that it has waited for: cutime + cstime. */
  endedChildrenTicks: number;
  /** When it started, in ticks since boot: with the pid, what tells it from a later one. */
  startTime: number;
}

function readStat(pid: string | number): ProcessStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const end = stat.lastIndexOf(')');
    // After the command name: state, ppid, … utime, stime, cutime, cstime are the 12th to 15th
    // fields, starttime the 20th.
    const fields = stat.slice(end + 2).split(' ');
    const field = (n: number) => Number(fields[n - 1]);
    return {
      pid: Number(pid),
      ppid: field(2),
      name: stat.slice(stat.indexOf('(') + 1, end),
      ticks: field(12) + field(13),
      endedChildrenTicks: field(14) + field(15),
      startTime: field(20),
    };
  } catch {
    return undefined; // ended meanwhile, or not Linux
  }
}

/** Every process there is now (none where there is no /proc). */
function allProcesses(): ProcessStat[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return []; // not Linux
  }
  return pids.flatMap((pid) => readStat(pid) ?? []);
}

/** CPU ticks (1/100 s) used so far by every process (Linux /proc), by pid, with its name. */
function processTicks(suite: RunningSuite): Map<number, { name: string; ticks: number }> {
  const names = new Map<number, string>([[process.pid, 'bench (this process)']]);
  for (const service of SUITE_SERVICES) {
    const pid = suite.process(service)?.child.pid;
    if (pid !== undefined) names.set(pid, service);
  }
  return new Map(
    allProcesses().map(({ pid, name, ticks }) => [pid, { name: names.get(pid) ?? name, ticks }] as const),
  );
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
  return readStat('self')?.endedChildrenTicks ?? 0;
}

/**
 * The local stack's servers (infra/local), each found by its pid file, which records the pid and
 * its start time (a reused pid does not count), or else by its command line.
 */
const STACK_SERVERS: Record<string, RegExp> = {
  mariadb: /(^|\/)(mariadbd|mysqld)( |$)/,
  redis: /(^|\/)redis-server( |$)/,
  postgres: /(^|\/)postgres( |:|$)/,
  mongodb: /(^|\/)(ferretdb|mongod)( |$)/,
  kafka: / kafka\.Kafka( |$)/,
  elasticsearch: / org\.elasticsearch\.(launcher|server|bootstrap)/,
  zipkin: /zipkin-server/,
  otelcol: /(^|\/)otelcol[^ /]*( |$)/,
};

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

function recordedPid(server: string): { pid: number; startTime: number } | undefined {
  try {
    const [pid, startTime] = readFileSync(join(stackHome(), 'run', `${server}.pid`), 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return pid === undefined || startTime === undefined ? undefined : { pid, startTime };
  } catch {
    return undefined;
  }
}

/** Named groups of processes, each given by its root processes: they and every process under them. */
export type ProcessGroups = Record<string, readonly number[]>;

/**
 * The suite's six services and the local stack's servers, by name (the stack's MongoDB is called
 * ferretdb when it is FerretDB). A server's group takes in the processes it starts: PostgreSQL's
 * backends, Elasticsearch's server under its launcher.
 */
export function pipelineProcessGroups(suite: RunningSuite): ProcessGroups {
  const groups: Record<string, number[]> = {};
  for (const service of SUITE_SERVICES) {
    const pid = suite.process(service)?.child.pid;
    if (pid !== undefined) groups[service] = [pid];
  }
  const processes = allProcesses();
  for (const [server, pattern] of Object.entries(STACK_SERVERS)) {
    const recorded = recordedPid(server);
    const byFile = processes.find((p) => p.pid === recorded?.pid && p.startTime === recorded.startTime);
    const found = byFile ? [byFile] : processes.filter((p) => pattern.test(commandLine(p.pid)));
    const name = server === 'mongodb' && found[0]?.name === 'ferretdb' ? 'ferretdb' : server;
    if (found.length > 0) groups[name] = found.map((p) => p.pid);
  }
  return groups;
}

/**
 * CPU time used so far by each group, in ms: by every process in it, and by the children its
 * processes have waited for after they ended. Compared as sums, so a process that ends between two
 * readings (a PostgreSQL backend whose connection closed) still counts, in its parent's figure.
 */
function groupCpuMs(groups: ProcessGroups): Record<string, number> {
  const processes = allProcesses();
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const children = new Map<number, ProcessStat[]>();
  for (const p of processes) {
    const siblings = children.get(p.ppid);
    if (siblings) siblings.push(p);
    else children.set(p.ppid, [p]);
  }
  return Object.fromEntries(
    Object.entries(groups).map(([name, roots]) => {
      const counted = new Set<number>();
      let ticks = 0;
      const add = (p: ProcessStat | undefined): void => {
        if (!p || counted.has(p.pid)) return;
        counted.add(p.pid);
        ticks += p.ticks + p.endedChildrenTicks;
        for (const child of children.get(p.pid) ?? []) add(child);
      };
      for (const pid of roots) add(byPid.get(pid));
      return [name, ticks * 10];
    }),
  );
}

/** CPU time used while a measurement ran, in ms. */
export interface CpuUse {
  seconds: number;
  /** By each group of processes (see {@link groupCpuMs}). */
  byGroup: Record<string, number>;
  /** Busy time of all cores (/proc/stat): every process, short-lived ones too, and the kernel. */
  machine: number;
  /** This process's own: the load generator's. */
  bench: number;
}

/**
 * Starts measuring CPU time by group of processes, of the machine, and of this process; the
 * function returned gives what each used since.
 */
export function measureCpuUse(groups: ProcessGroups): () => CpuUse {
  const started = performance.now();
  const machine = cpuTimes();
  const bench = process.cpuUsage();
  const before = groupCpuMs(groups);
  return () => {
    const after = groupCpuMs(groups);
    const benchUse = process.cpuUsage(bench);
    return {
      seconds: (performance.now() - started) / 1_000,
      byGroup: Object.fromEntries(
        Object.entries(after).map(([name, ms]) => [name, ms - (before[name] ?? 0)]),
      ),
      machine: cpuTimes().busy - machine.busy,
      bench: (benchUse.user + benchUse.system) / 1_000,
    };
  };
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
