// The command line of `cqrs`: its commands and options, and its exit statuses. Commander reads
// it (help for every command, unknown options and stray arguments named); the checks of values
// that need the suite's knowledge (projection names, times, roles) are here.
import { ShopError } from '@cqrs-shop/errors';
import { type Role, ROLES } from '@cqrs-shop/auth';
import { PROJECTION_NAMES, type ProjectionName } from '@cqrs-shop/service-registry';
import { Command as Program, CommanderError, InvalidArgumentError } from 'commander';

export { PROJECTION_NAMES, type ProjectionName };

/** Exit statuses (64 and 78 as in sysexits.h, like the suite's other commands). */
export const EXIT = {
  ok: 0,
  failed: 1,
  /** The command would be unsafe or impossible (history incomplete, version live…); nothing changed. */
  refused: 2,
  usage: 64,
  config: 78,
  /** Stopped by a signal; a rebuild continues from its committed offsets when started again. */
  interrupted: 130,
} as const;

/** `cqrs check convergence` keeps the statuses scripts test for: differences are not a failure to check. */
export const CHECK_EXIT = {
  converged: 0,
  differences: 1,
  /** The check could not be completed (a server unreachable, say); stderr says why. */
  failed: 2,
} as const;

export const DEFAULT_DIFFERENCE_LIMIT = 50;

export type Command =
  /** `--help` anywhere, `cqrs help [command]`, or no command at all: the help text to print. */
  | { readonly command: 'help'; readonly text: string }
  | { readonly command: 'list'; readonly json: boolean }
  | {
      readonly command: 'rebuild';
      readonly projections: readonly ProjectionName[];
      readonly until: string | undefined;
      readonly dropPrevious: boolean;
      readonly maxLag: number;
      readonly concurrency: number;
      readonly json: boolean;
    }
  | {
      readonly command: 'switch';
      readonly projection: ProjectionName;
      readonly version: number;
      readonly json: boolean;
    }
  | {
      readonly command: 'drop';
      readonly projection: ProjectionName;
      readonly version: number;
      readonly json: boolean;
    }
  | { readonly command: 'gc'; readonly projections: readonly ProjectionName[]; readonly json: boolean }
  | {
      readonly command: 'redrive';
      readonly projection: ProjectionName;
      /** `<type>:<id>`, or `all`: every parked aggregate. */
      readonly aggregate: string;
      readonly json: boolean;
    }
  | {
      readonly command: 'tokens-issue';
      readonly role: Role;
      readonly customerId: string | undefined;
      readonly subject: string | undefined;
      readonly ttlSeconds: number;
      readonly json: boolean;
    }
  | {
      readonly command: 'tokens-keygen';
      readonly keyFile: string;
      readonly jwksFile: string;
      readonly json: boolean;
    }
  | { readonly command: 'outbox-list'; readonly json: boolean }
  | {
      readonly command: 'outbox-release';
      readonly position: number;
      readonly dropTraceparent: boolean;
      readonly json: boolean;
    }
  | {
      readonly command: 'check-convergence';
      /** Undefined: every read model. */
      readonly readModels: readonly ProjectionName[] | undefined;
      /** Differences listed per read model; all are counted. */
      readonly limit: number;
      readonly json: boolean;
    };

/** The commands on the write model's outbox: they need the MYSQL_* settings, and no others. */
export const isOutboxCommand = (
  command: Command,
): command is Extract<Command, { command: 'outbox-list' | 'outbox-release' }> =>
  command.command === 'outbox-list' || command.command === 'outbox-release';

/** A command line `cqrs` does not understand; the message says what is wrong. */
export class UsageError extends ShopError<'cli.usage'> {
  constructor(message: string) {
    super('cli.usage', message);
  }
}

const EXIT_STATUS_HELP = `
Exit status: ${EXIT.ok} done, ${EXIT.failed} failed, ${EXIT.refused} refused (nothing changed), ${EXIT.usage} bad arguments,
${EXIT.config} bad configuration, ${EXIT.interrupted} interrupted (run the rebuild again to resume);
check convergence: ${CHECK_EXIT.converged} no differences, ${CHECK_EXIT.differences} differences, ${CHECK_EXIT.failed} the check could not finish.
Connection settings come from the variables the services use: KAFKA_*, MONGODB_*,
ELASTICSEARCH_* and REDIS_* for projections, MYSQL_* for the outbox (and all of these for check
convergence), AUTH_SIGNING_KEY_FILE, AUTH_ISSUER and AUTH_AUDIENCE for tokens.`;

// ---- values --------------------------------------------------------------------------------

const isProjectionName = (name: string): name is ProjectionName =>
  (PROJECTION_NAMES as readonly string[]).includes(name);

function projectionNamed(name: string): ProjectionName {
  if (!isProjectionName(name))
    throw new InvalidArgumentError(`unknown projection ${name}; one of ${PROJECTION_NAMES.join(', ')}`);
  return name;
}

function projectionsNamed(name: string): ProjectionName[] {
  if (name === 'all') return [...PROJECTION_NAMES];
  if (!isProjectionName(name))
    throw new InvalidArgumentError(`unknown projection ${name}; one of ${PROJECTION_NAMES.join(', ')}, all`);
  return [name];
}

const wholeNumber =
  (what: string, min: number, max: number) =>
  (text: string): number => {
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!(value >= min && value <= max))
      throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}, got ${text}`);
    return value;
  };

function instant(text: string): string {
  // A full date and time with a zone: a bare date would be read in an unknown zone.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(text))
    throw new InvalidArgumentError(
      `--until must be an ISO 8601 time with a zone, e.g. 2026-11-24T10:00:00Z, got ${text}`,
    );
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`--until is not a real time: ${text}`);
  return new Date(ms).toISOString();
}

function aggregateKey(text: string): string {
  if (!/^(customer|product|order):[\x21-\x7e]{1,255}$/.test(text))
    throw new InvalidArgumentError(
      `the aggregate must be <type>:<id> (customer, product or order), got ${text}`,
    );
  return text;
}

function role(text: string): Role {
  if (!(ROLES as readonly string[]).includes(text))
    throw new InvalidArgumentError(`unknown role ${text}; one of ${ROLES.join(', ')}`);
  return text as Role;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function customerId(text: string): string {
  if (!UUID.test(text))
    throw new InvalidArgumentError(`--customer must be a customer id (a UUID), got ${text}`);
  return text;
}

function subject(text: string): string {
  if (!/^[\x21-\x7e]{1,200}$/.test(text))
    throw new InvalidArgumentError('--subject must be 1 to 200 visible ASCII characters');
  return text;
}

const TTL_UNITS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
const MAX_TTL_SECONDS = 30 * 86_400;

function ttlSeconds(text: string): number {
  const match = /^(\d{1,7})(s|m|h|d)$/.exec(text);
  const seconds = match ? Number(match[1]) * TTL_UNITS[match[2] as keyof typeof TTL_UNITS] : Number.NaN;
  if (!(seconds >= 1 && seconds <= MAX_TTL_SECONDS))
    throw new InvalidArgumentError(`--ttl must be a duration from 1s to 30d such as 15m or 8h, got ${text}`);
  return seconds;
}

function readModelNamed(text: string, earlier: ProjectionName[] | undefined): ProjectionName[] {
  if (!isProjectionName(text))
    throw new InvalidArgumentError(`--read-model must be one of ${PROJECTION_NAMES.join(', ')}, got ${text}`);
  return [...(earlier ?? []), text];
}

// ---- the commands ------------------------------------------------------------------------------

interface JsonOption {
  readonly json?: true;
}

/**
 * The command tree; `found` receives the command the arguments name. Built anew for every parse:
 * commander keeps the values of the last parse in its commands.
 */
function program(found: (command: Command) => void, now: () => number): Program {
  const cqrs: Program = new Program('cqrs')
    .description(
      "The suite's operator command: the projections' versions (list, rebuild, switch, drop, gc, " +
        'redrive), the outbox quarantine, local tokens, and the convergence check.',
    )
    .addHelpText('after', (): string => `\nEvery command:\n${commandList(cqrs)}${EXIT_STATUS_HELP}`)
    .helpCommand('help [command]', 'the help of a command');
  const json = '--json';
  const jsonHelp = 'print JSON';

  const projections = cqrs
    .command('projections')
    .description("each read model's versions: list, rebuild, switch, drop, collect, redrive");
  projections
    .command('list')
    .description(
      "every projection's versions: live, rebuilding (with progress), caught-up, retired, failed, " +
        "point-in-time; offsets and lag; and the outbox under them (from the relay's /stats at RELAY_URL)",
    )
    .option(json, jsonHelp)
    .action((options: JsonOption) => {
      found({ command: 'list', json: options.json === true });
    });
  projections
    .command('rebuild')
    .description(
      'replay the Kafka topics from the beginning into a new version while the live one serves, ' +
        'then switch to it atomically; an unfinished rebuild is resumed from its committed offsets',
    )
    .argument('<name>', `a projection (${PROJECTION_NAMES.join(', ')}) or all`, projectionsNamed)
    .option(
      '--until <time>',
      'build a point-in-time version (the shop as it was then, an ISO 8601 time with a zone); it ' +
        'never goes live: read it with ?modelVersion=<n> on the gateway',
      instant,
    )
    .option('--drop-previous', 'drop the version that was live before, once nothing writes it')
    .option(
      '--max-lag <events>',
      'switch once the new version is this close to the head',
      wholeNumber('--max-lag', 0, 1_000_000),
      100,
    )
    .option('--concurrency <n>', 'partitions replayed at once', wholeNumber('--concurrency', 1, 256), 6)
    .option(json, 'print one progress object per line, then the result')
    .action(
      (
        names: ProjectionName[],
        options: JsonOption & {
          until?: string;
          dropPrevious?: true;
          maxLag: number;
          concurrency: number;
        },
      ) => {
        if (options.until !== undefined && Date.parse(options.until) > now())
          throw new UsageError(
            `--until ${options.until} is in the future; a point-in-time version shows the past`,
          );
        if (options.until !== undefined && options.dropPrevious)
          throw new UsageError(
            '--drop-previous does not apply to a point-in-time build, which never goes live',
          );
        found({
          command: 'rebuild',
          projections: names,
          until: options.until,
          dropPrevious: options.dropPrevious === true,
          maxLag: options.maxLag,
          concurrency: options.concurrency,
          json: options.json === true,
        });
      },
    );
  for (const verb of ['switch', 'drop'] as const)
    projections
      .command(verb)
      .description(
        verb === 'switch'
          ? 'make a retired or caught-up version live again (a rollback)'
          : 'drop a version that is not live, and its consumer group',
      )
      .argument('<name>', `a projection: ${PROJECTION_NAMES.join(', ')}`, projectionNamed)
      .argument('<version>', 'the version', wholeNumber('the version', 1, 1_000_000))
      .option(json, jsonHelp)
      .action((projection: ProjectionName, version: number, options: JsonOption) => {
        found({ command: verb, projection, version, json: options.json === true });
      });
  projections
    .command('gc')
    .description('drop every retired and failed version (point-in-time ones stay)')
    .argument('[name]', `a projection (${PROJECTION_NAMES.join(', ')}) or all`, projectionsNamed, [
      ...PROJECTION_NAMES,
    ])
    .option(json, jsonHelp)
    .action((names: ProjectionName[], options: JsonOption) => {
      found({ command: 'gc', projections: names, json: options.json === true });
    });
  projections
    .command('redrive')
    .description(
      'once the cause of a parking is fixed, re-apply a parked aggregate and unpark it (in the ' +
        'replica consuming its partition); needs CQRS_OPS_TOKEN, a token with the ops role, or ' +
        'AUTH_SIGNING_KEY_FILE where the local key is at hand',
    )
    .argument('<name>', `a projection: ${PROJECTION_NAMES.join(', ')}`, projectionNamed)
    .argument('[aggregate]', 'the parked aggregate, <type>:<id>', aggregateKey)
    .option('--all', 'every parked aggregate of the projection')
    .option(json, jsonHelp)
    .action(
      (projection: ProjectionName, aggregate: string | undefined, options: JsonOption & { all?: true }) => {
        if ((options.all === true) === (aggregate !== undefined))
          throw new UsageError('name one parked aggregate (<type>:<id>) or give --all');
        found({ command: 'redrive', projection, aggregate: aggregate ?? 'all', json: options.json === true });
      },
    );

  const outbox = cqrs.command('outbox').description('the rows the relay quarantined: list and release them');
  outbox
    .command('list')
    .description(
      'the rows the relay quarantined (it cannot publish them as they are) with the reason, and ' +
        'the later rows of their aggregates held behind them',
    )
    .option(json, jsonHelp)
    .action((options: JsonOption) => {
      found({ command: 'outbox-list', json: options.json === true });
    });
  outbox
    .command('release')
    .description(
      'move a quarantined row, and the rows held behind it, back to the outbox: the relay ' +
        'publishes them first, in order',
    )
    .argument(
      '<position>',
      'the position of the row',
      wholeNumber('the position', 1, Number.MAX_SAFE_INTEGER),
    )
    .option('--drop-traceparent', 'publish the row without its stored traceparent')
    .option(json, jsonHelp)
    .action((position: number, options: JsonOption & { dropTraceparent?: true }) => {
      found({
        command: 'outbox-release',
        position,
        dropTraceparent: options.dropTraceparent === true,
        json: options.json === true,
      });
    });

  const tokens = cqrs
    .command('tokens')
    .description("the local stack's own identity provider (production tokens come from yours)");
  tokens
    .command('issue')
    .description('print a bearer token (on the last line) for the APIs')
    .requiredOption('--role <role>', ROLES.join(', '), role)
    .option(
      '--customer <customerId>',
      'the customer a customer token acts as (required with --role customer)',
      customerId,
    )
    .option('--subject <name>', 'who the token names (default: local-<role>)', subject)
    .option(
      '--ttl <duration>',
      'how long it is valid: 30s, 15m, 8h, 7d (default 1h, at most 30d)',
      ttlSeconds,
    )
    .option(json, jsonHelp)
    .action((options: JsonOption & { role: Role; customer?: string; subject?: string; ttl?: number }) => {
      if ((options.role === 'customer') !== (options.customer !== undefined))
        throw new UsageError(
          options.role === 'customer'
            ? 'a customer token needs --customer <customerId>'
            : `--customer applies to --role customer only, not ${options.role}`,
        );
      found({
        command: 'tokens-issue',
        role: options.role,
        customerId: options.customer,
        subject: options.subject,
        ttlSeconds: options.ttl ?? 3_600,
        json: options.json === true,
      });
    });
  tokens
    .command('keygen')
    .description('make the signing key, unless both files exist')
    .requiredOption('--key-file <file>', 'the private JWK (for issue; keep it private)')
    .requiredOption('--jwks-file <file>', "the JWKS of its public half (for the services' AUTH_JWKS_FILE)")
    .option(json, jsonHelp)
    .action((options: JsonOption & { keyFile: string; jwksFile: string }) => {
      found({
        command: 'tokens-keygen',
        keyFile: options.keyFile,
        jwksFile: options.jwksFile,
        json: options.json === true,
      });
    });

  cqrs
    .command('check')
    .description('checks of the running suite')
    .command('convergence')
    .description(
      'compare the MySQL write model with the read models and list the differences; run it once ' +
        'the projectors have caught up: writes in flight show up as differences',
    )
    .option(
      '--read-model <name>',
      `check only this read model: ${PROJECTION_NAMES.join(', ')} (repeatable; default all)`,
      readModelNamed,
    )
    .option(
      '--limit <n>',
      'list at most n differences per read model; all are counted',
      wholeNumber('--limit', 0, 1_000_000),
      DEFAULT_DIFFERENCE_LIMIT,
    )
    .option(json, 'print the report as JSON instead of a summary')
    .action((options: JsonOption & { readModel?: ProjectionName[]; limit: number }) => {
      found({
        command: 'check-convergence',
        readModels: options.readModel,
        limit: options.limit,
        json: options.json === true,
      });
    });
  return cqrs;
}

/** Every command that does something, one per line with its arguments: the root help's list. */
function commandList(root: Program): string {
  const lines: string[] = [];
  const walk = (command: Program, path: string) => {
    for (const sub of command.commands) {
      const name = `${path} ${sub.name()}`.trim();
      if (sub.commands.length > 0) walk(sub, name);
      else if (sub.name() !== 'help') lines.push(`  cqrs ${`${name} ${sub.usage()}`.padEnd(52)}`);
    }
  };
  walk(root, '');
  return `${lines.map((line) => line.trimEnd()).join('\n')}\n`;
}

/**
 * Parses the arguments after `cqrs`. Options take their value as the next argument or after `=`.
 *
 * @throws {UsageError} for an unknown command or option, a missing or bad value, a stray argument.
 */
export function parseArgs(args: readonly string[], now: () => number = Date.now): Command {
  let command: Command | undefined;
  let out = '';
  let err = '';
  const cqrs = program((found) => (command = found), now);
  // Settings subcommands inherit: none of them prints or exits on its own.
  const quiet = (c: Program) => {
    c.exitOverride()
      .configureOutput({
        writeOut: (text) => (out += text),
        writeErr: (text) => (err += text),
        outputError: () => undefined,
        getOutHelpWidth: () => 100,
        getErrHelpWidth: () => 100,
      })
      .allowExcessArguments(false);
    for (const sub of c.commands) quiet(sub);
  };
  quiet(cqrs);
  try {
    cqrs.parse(args, { from: 'user' });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (!(error instanceof CommanderError)) throw error;
    // --help, -h, or `cqrs help <command>`.
    if (error.code === 'commander.helpDisplayed' || (error.code === 'commander.help' && error.exitCode === 0))
      return { command: 'help', text: out };
    // A group without its command (`cqrs projections`): its help, as an answer when nothing was asked.
    if (error.code === 'commander.help') {
      if (args.length === 0) return { command: 'help', text: err };
      throw new UsageError(`name a command\n\n${err.trimEnd()}`);
    }
    throw new UsageError(error.message.replace(/^error: /, ''));
  }
  if (command === undefined) throw new UsageError('name a command; cqrs --help lists them');
  return command;
}
