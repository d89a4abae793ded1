// The command line of `check-convergence`: its options, its usage text and its exit statuses.
import { isReadModelName, READ_MODELS, type ReadModelName } from './differences.js';

/** Exit statuses (64 and 78 as in sysexits.h, like the suite's other commands). */
export const EXIT = {
  converged: 0,
  differences: 1,
  /** The check could not be completed (a server unreachable, say); the log says why. */
  failed: 2,
  usage: 64,
  config: 78,
} as const;

export const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1_000_000;

export interface CliOptions {
  readonly json: boolean;
  /** Differences listed per read model. */
  readonly limit: number;
  /** Undefined: every read model. */
  readonly readModels: readonly ReadModelName[] | undefined;
  readonly help: boolean;
}

export const USAGE = `Usage: check-convergence [--read-model NAME]... [--limit N] [--json]

Compares the MySQL write model with the read models and lists the differences.
Run it once the projectors have caught up: writes in flight show up as differences.

Options:
  --read-model NAME  check only this read model: ${READ_MODELS.join(', ')} (repeatable; default all)
  --limit N          list at most N differences per read model (default ${DEFAULT_LIMIT}); all are counted
  --json             print the report as JSON instead of a summary
  --help             print this help

Exit status: ${EXIT.converged} no differences, ${EXIT.differences} differences, ${EXIT.failed} the check failed, ${EXIT.usage} bad arguments, ${EXIT.config} bad configuration.
Connection settings come from MYSQL_*, MONGODB_*, ELASTICSEARCH_* and REDIS_* variables.`;

/** A command line the checker does not understand; the message says what is wrong. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Parses the arguments after the command name. Options take their value as the next argument
 * or after `=` (`--limit=10`).
 *
 * @throws {UsageError} for an unknown option, a missing or bad value, or a stray argument.
 */
export function parseCliArgs(args: readonly string[]): CliOptions {
  let json = false;
  let help = false;
  let limit = DEFAULT_LIMIT;
  const readModels: ReadModelName[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const [option, inline] = splitOption(arg);
    const value = () => {
      const given = inline ?? args[++i];
      if (given === undefined || given === '') throw new UsageError(`${option} needs a value`);
      return given;
    };
    switch (option) {
      case '--json':
        json = flag(option, inline);
        break;
      case '--help':
      case '-h':
        help = flag(option, inline);
        break;
      case '--limit':
        limit = parseLimit(value());
        break;
      case '--read-model':
        readModels.push(parseReadModel(value()));
        break;
      default:
        throw new UsageError(arg.startsWith('-') ? `unknown option ${option}` : `unexpected argument ${arg}`);
    }
  }
  return { json, help, limit, readModels: readModels.length === 0 ? undefined : readModels };
}

/** `--name=value` → [`--name`, `value`]; anything else → [arg, undefined]. */
function splitOption(arg: string): [string, string | undefined] {
  const equals = arg.indexOf('=');
  return arg.startsWith('--') && equals > 0
    ? [arg.slice(0, equals), arg.slice(equals + 1)]
    : [arg, undefined];
}

function flag(option: string, inline: string | undefined): true {
  if (inline !== undefined) throw new UsageError(`${option} takes no value`);
  return true;
}

function parseLimit(text: string): number {
  const limit = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(limit <= MAX_LIMIT))
    throw new UsageError(`--limit must be a whole number from 0 to ${MAX_LIMIT}, got ${text}`);
  return limit;
}

function parseReadModel(name: string): ReadModelName {
  if (!isReadModelName(name))
    throw new UsageError(`--read-model must be one of ${READ_MODELS.join(', ')}, got ${name}`);
  return name;
}
