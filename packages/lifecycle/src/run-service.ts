import { ConfigError } from '@cqrs-shop/config';
import { createLogger, type Logger, type LogLevel } from '@cqrs-shop/logging';
import { createLifecycle, type Lifecycle } from './lifecycle.js';

/** Exit status for a configuration error (EX_CONFIG in sysexits.h). */
export const EXIT_CONFIG = 78;

type RuntimeConfig = { runtime: { logLevel: LogLevel; shutdownTimeoutMs: number } };

/** A bad configuration ends the process before anything is opened, with a message naming the variable. */
function loadConfigOrExit<C>(definition: { name: string; loadConfig: () => C }): C {
  try {
    return definition.loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${definition.name}: ${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }
}

export interface ServiceDefinition<C extends RuntimeConfig> {
  readonly name: string;
  /** Parses the configuration; throwing {@link ConfigError} ends the process with status 78. */
  readonly loadConfig: () => C;
  /** Starts the service and registers what must be closed on the lifecycle. */
  readonly start: (context: { config: C; logger: Logger; lifecycle: Lifecycle }) => Promise<void>;
}

/**
 * Runs a long-lived process: configuration first (a bad value stops it before anything is
 * opened), then start-up, then a graceful shutdown on SIGTERM or SIGINT. A second signal
 * during shutdown, or a shutdown slower than SHUTDOWN_TIMEOUT, ends the process at once.
 */
export async function runService<C extends RuntimeConfig>(service: ServiceDefinition<C>): Promise<void> {
  const config = loadConfigOrExit(service);
  const logger = createLogger({ service: service.name, level: config.runtime.logLevel });
  const lifecycle = createLifecycle({ logger, timeoutMs: config.runtime.shutdownTimeoutMs });
  const exitAfterStop = async (reason: string, status: number): Promise<never> => {
    const clean = await lifecycle.stop(reason);
    logger.flush();
    process.exit(clean ? status : 1);
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (lifecycle.stopping) {
        logger.warn({ signal }, 'second signal during shutdown; exiting now');
        process.exit(1);
      }
      void exitAfterStop(signal, 0);
    });
  }
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    void exitAfterStop('uncaught exception', 1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    void exitAfterStop('unhandled promise rejection', 1);
  });

  try {
    await service.start({ config, logger, lifecycle });
    logger.info('started');
  } catch (error) {
    logger.fatal({ err: error }, 'start-up failed');
    await exitAfterStop('start-up failed', 1);
  }
}

export interface TaskDefinition<C extends RuntimeConfig> {
  readonly name: string;
  readonly loadConfig: () => C;
  readonly run: (context: { config: C; logger: Logger }) => Promise<void>;
}

/** Runs a one-shot command (a migration, say): exit 0 when it succeeds, 1 when it fails, 78 on bad configuration. */
export async function runTask<C extends RuntimeConfig>(task: TaskDefinition<C>): Promise<void> {
  const config = loadConfigOrExit(task);
  const logger = createLogger({ service: task.name, level: config.runtime.logLevel });
  try {
    await task.run({ config, logger });
    process.exitCode = 0;
  } catch (error) {
    logger.fatal({ err: error }, 'failed');
    process.exitCode = 1;
  }
}
