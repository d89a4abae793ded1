import pino from 'pino';

export type Logger = pino.Logger;
export type LogLevel = pino.LevelWithSilent;

export interface LoggerOptions {
  /** Written on every line as `service`. */
  readonly service: string;
  readonly level: LogLevel;
  /** Where lines go. @default standard output */
  readonly destination?: pino.DestinationStream;
}

/** A JSON logger: ISO timestamps, level names rather than numbers, credentials redacted. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['password', '*.password', 'req.headers.authorization'], censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ sync: true }),
  );
}
