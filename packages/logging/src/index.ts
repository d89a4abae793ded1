import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';
import pino from 'pino';

export type Logger = pino.Logger;
export type LogLevel = pino.LevelWithSilent;

/** Ids that every line logged while handling one command or event carries. */
export interface LogContext {
  commandId?: string;
  correlationId?: string;
  eventId?: string;
}

const logContext = new AsyncLocalStorage<LogContext>();

/**
 * Runs `work` with ids that every line it logs (directly or in anything it awaits) carries.
 * Nested calls add to the outer ids.
 */
export function withLogContext<T>(ids: LogContext, work: () => T): T {
  return logContext.run({ ...logContext.getStore(), ...ids }, work);
}

/** Adds ids to the current log context, for ids learnt part-way (a command's id after parsing). */
export function addToLogContext(ids: LogContext): void {
  Object.assign(logContext.getStore() ?? {}, ids);
}

/**
 * The current log context itself, which {@link addToLogContext} may still add to; for a line
 * written later, outside of it (when a response has finished, say).
 */
export function currentLogContext(): Readonly<LogContext> | undefined {
  return logContext.getStore();
}

/** The ids of the current log context, and of the active trace span: what a line should carry. */
export function currentLogFields(): LogContext & { traceId?: string; spanId?: string } {
  const span = trace.getActiveSpan()?.spanContext();
  const ids = span && trace.isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : {};
  return { ...logContext.getStore(), ...ids };
}

export interface LoggerOptions {
  /** Written on every line as `service`. */
  readonly service: string;
  readonly level: LogLevel;
  /** Where lines go. @default standard output */
  readonly destination?: pino.DestinationStream;
}

/**
 * A JSON logger: ISO timestamps, level names rather than numbers, credentials redacted, and on
 * every line the command, correlation and event ids of the work in hand with its trace and span
 * ids, so that a line leads to its trace.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: currentLogFields,
      redact: { paths: ['password', '*.password', 'req.headers.authorization'], censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ sync: true }),
  );
}
