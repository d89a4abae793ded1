import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long. @default 10000 ms */
  readonly timeoutMs?: number;
  /** Pause between attempts. @default 50 ms */
  readonly intervalMs?: number;
}

/**
 * Calls `attempt` until it returns a value other than undefined/false, and returns it;
 * an attempt that throws counts as not yet. Fails with `description` and the last error when
 * the deadline passes.
 */
export async function waitFor<T>(
  description: string,
  attempt: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    try {
      const result = await attempt();
      if (result !== undefined && result !== false) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out waiting for ${description}${reason}`, { cause: lastError });
    }
    await delay(options.intervalMs ?? 50);
  }
}

/** A name no other test file uses, for databases, topics, indexes, key prefixes and groups. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}
