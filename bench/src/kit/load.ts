// Closed-loop HTTP load: a number of clients, each sending its next request as soon as the last
// one answered, over kept-alive connections. Node's own http client: fetch costs the load
// generator several times more CPU per request, which on a small machine is taken from the
// servers it measures.
import { Agent, request } from 'node:http';
import { type Latency, round, summarize } from '../stats.js';

export interface LoadFigures {
  readonly requests: number;
  /** Answers 200 per second. */
  readonly okPerSecond: number;
  /** Of the answers 200, in ms. */
  readonly latencyMs: Latency;
  /** Answers other than 200, by status (0: no answer; `timeout`: none within the time limit). */
  readonly notOkByStatus: Record<string, number>;
  readonly seconds: number;
}

/** One GET; gives its status once the whole body has been read, or `timeout` after `timeoutMs`. */
function get(
  agent: Agent,
  url: URL,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<number | 'timeout'> {
  return new Promise((resolve) => {
    const req = request(url, { agent, method: 'GET', headers }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve(res.statusCode ?? 0);
      });
      res.on('error', () => {
        resolve(0);
      });
    });
    req.on('error', () => {
      resolve(0);
    });
    req.setTimeout(timeoutMs, () => {
      resolve('timeout');
      req.destroy();
    });
    req.end();
  });
}

/** A keep-alive agent for `clients` concurrent clients; destroy it when done. */
export const keepAliveAgent = (clients: number): Agent =>
  new Agent({ keepAlive: true, maxSockets: clients, maxFreeSockets: clients });

/**
 * `clients` clients, each sending GET `baseUrl + path(n)` (n counting every request sent) in a
 * closed loop for `seconds`.
 */
export async function closedLoop(options: {
  readonly agent: Agent;
  readonly baseUrl: string;
  readonly path: (n: number) => string;
  readonly clients: number;
  readonly seconds: number;
  /** Sent with every request (a bearer token, say). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The longest a request may take; one taking longer is counted as `timeout` and dropped (its
   * connection closed), so that a round ends soon after its time even when answers take minutes.
   * @default 30000
   */
  readonly timeoutMs?: number;
}): Promise<LoadFigures> {
  const latencies: number[] = [];
  const notOkByStatus: Record<string, number> = {};
  let sent = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1_000;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (performance.now() < deadline) {
        const url = new URL(options.path(sent++), options.baseUrl);
        const t0 = performance.now();
        const status = await get(options.agent, url, options.headers ?? {}, options.timeoutMs ?? 30_000);
        if (status === 200) latencies.push(performance.now() - t0);
        else notOkByStatus[status] = (notOkByStatus[status] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1_000;
  const s = summarize(latencies);
  return {
    requests: sent,
    okPerSecond: round(latencies.length / seconds),
    latencyMs: { p50: round(s.p50, 2), p95: round(s.p95, 2), p99: round(s.p99, 2), max: round(s.max, 2) },
    notOkByStatus,
    seconds: round(seconds, 2),
  };
}
