import type { Logger } from '@cqrs-shop/logging';

export type Closer = () => Promise<void> | void;

/**
 * Resources a process must release on the way out. They are closed in reverse order of
 * registration (the HTTP server stops taking work before the pools it uses are closed),
 * each one at most once, and all of them within a bounded time.
 */
export interface Lifecycle {
  /** Registers a resource to close on stop. */
  onStop(name: string, close: Closer): void;
  /** Closes everything; later calls return the same promise. Resolves false on timeout or error. */
  stop(reason: string): Promise<boolean>;
  readonly stopping: boolean;
}

export function createLifecycle(options: { logger: Logger; timeoutMs: number }): Lifecycle {
  const closers: { name: string; close: Closer }[] = [];
  let stopped: Promise<boolean> | undefined;

  async function closeAll(): Promise<boolean> {
    let clean = true;
    for (const { name, close } of closers.slice().reverse()) {
      try {
        await close();
        options.logger.debug({ resource: name }, 'closed');
      } catch (error) {
        clean = false;
        options.logger.error({ err: error, resource: name }, 'failed to close');
      }
    }
    return clean;
  }

  return {
    onStop(name, close) {
      closers.push({ name, close });
    },
    stop(reason) {
      if (stopped) return stopped;
      options.logger.info({ reason }, 'stopping');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => {
          options.logger.error({ timeoutMs: options.timeoutMs }, 'shutdown did not finish in time');
          resolve(false);
        }, options.timeoutMs);
      });
      stopped = Promise.race([closeAll(), timeout]).finally(() => {
        clearTimeout(timer);
      });
      return stopped;
    },
    get stopping() {
      return stopped !== undefined;
    },
  };
}
