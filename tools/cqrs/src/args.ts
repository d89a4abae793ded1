// The command line of `cqrs`: its commands, options, usage text and exit statuses.
import { type Role, ROLES } from '@cqrs-shop/auth';
import { PROJECTION_NAMES, type ProjectionName } from '@cqrs-shop/service-registry';

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

export type Command =
  | { readonly command: 'help' }
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
    };

/** The commands on the write model's outbox: they need the MYSQL_* settings, and no others. */
export const isOutboxCommand = (
  command: Command,
): command is Extract<Command, { command: 'outbox-list' | 'outbox-release' }> =>
  command.command === 'outbox-list' || command.command === 'outbox-release';

export const USAGE = `Usage: cqrs projections <command> [options]
       cqrs outbox <command> [options]
       cqrs tokens issue --role <role> [options]
       cqrs tokens keygen --key-file <file> --jwks-file <file>

Commands:
  list                          every projection's versions: live, rebuilding (with progress),
                                caught-up, retired, failed, point-in-time; offsets and lag; and
                                the outbox under them (from the relay's /stats at RELAY_URL)
  rebuild <name|all>            replay the Kafka topics from the beginning into a new version
                                while the live one serves, then switch to it atomically; an
                                unfinished rebuild is resumed from its committed offsets
    --until <ISO time>          build a point-in-time version (the shop as it was then); it
                                never goes live: read it with ?modelVersion=<n> on the gateway
    --drop-previous             drop the version that was live before, once nothing writes it
    --max-lag <events>          switch once the new version is this close to the head (default 100)
    --concurrency <n>           partitions replayed at once (default 6)
  switch <name> <version>       make a retired or caught-up version live again (a rollback)
  drop <name> <version>         drop a version that is not live, and its consumer group
  gc [<name>|all]               drop every retired and failed version (point-in-time ones stay)
  redrive <name> <type>:<id>    once the cause of a parking is fixed, re-apply a parked aggregate
                                and unpark it (in the replica consuming its partition)
  redrive <name> --all          the same for every parked aggregate of the projection
                                (with CQRS_OPS_TOKEN, a token with the ops role, or signed with
                                AUTH_SIGNING_KEY_FILE where the local key is at hand)

Outbox commands:
  list                          the rows the relay quarantined (it cannot publish them as they
                                are) with the reason, and the later rows of their aggregates
                                held behind them
  release <position>            move a quarantined row, and the rows held behind it, back to the
                                outbox: the relay publishes them first, in order
    --drop-traceparent          publish the row without its stored traceparent

Token commands (the local stack's own identity provider; production tokens come from yours):
  issue                         print a bearer token (on the last line) for the APIs
    --role <role>               ${ROLES.join(', ')}
    --customer <customerId>     the customer a customer token acts as (required with --role customer)
    --subject <name>            who the token names (default: local-<role>)
    --ttl <duration>            how long it is valid: 30s, 15m, 8h, 7d (default 1h, at most 30d)
  keygen                        make the signing key, unless both files exist: the private JWK
    --key-file <file>           (for issue; keep it private) and the JWKS of its public half
    --jwks-file <file>          (for the services' AUTH_JWKS_FILE)

Options:
  --json                        print JSON (for rebuild: one progress object per line, then the result)
  --help                        print this help

Names: ${PROJECTION_NAMES.join(', ')}.
Exit status: ${EXIT.ok} done, ${EXIT.failed} failed, ${EXIT.refused} refused (nothing changed), ${EXIT.usage} bad arguments,
${EXIT.config} bad configuration, ${EXIT.interrupted} interrupted (run the rebuild again to resume).
Connection settings come from the variables the services use: KAFKA_*, MONGODB_*,
ELASTICSEARCH_* and REDIS_* for projections, MYSQL_* for the outbox, AUTH_SIGNING_KEY_FILE,
AUTH_ISSUER and AUTH_AUDIENCE for tokens.`;

/** A command line `cqrs` does not understand; the message says what is wrong. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const isProjectionName = (name: string): name is ProjectionName =>
  (PROJECTION_NAMES as readonly string[]).includes(name);

function projectionsArg(name: string | undefined, allowAll: boolean): ProjectionName[] {
  if (name === undefined) throw new UsageError('name a projection');
  if (allowAll && name === 'all') return [...PROJECTION_NAMES];
  if (!isProjectionName(name))
    throw new UsageError(
      `unknown projection ${name}; one of ${PROJECTION_NAMES.join(', ')}${allowAll ? ', all' : ''}`,
    );
  return [name];
}

function wholeNumber(option: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max))
    throw new UsageError(`${option} must be a whole number from ${min} to ${max}, got ${text}`);
  return value;
}

function instant(text: string): string {
  // A full date and time with a zone: a bare date would be read in an unknown zone.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(text))
    throw new UsageError(
      `--until must be an ISO 8601 time with a zone, e.g. 2026-11-24T10:00:00Z, got ${text}`,
    );
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`--until is not a real time: ${text}`);
  return new Date(ms).toISOString();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TTL_UNITS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
const MAX_TTL_SECONDS = 30 * 86_400;

function tokensIssue(
  role: string | undefined,
  customerId: string | undefined,
  subject: string | undefined,
  ttl: string,
  json: boolean,
): Command {
  if (role === undefined) throw new UsageError(`name the token's role: --role ${ROLES.join('|')}`);
  if (!(ROLES as readonly string[]).includes(role))
    throw new UsageError(`unknown role ${role}; one of ${ROLES.join(', ')}`);
  if ((role === 'customer') !== (customerId !== undefined))
    throw new UsageError(
      role === 'customer'
        ? 'a customer token needs --customer <customerId>'
        : `--customer applies to --role customer only, not ${role}`,
    );
  if (customerId !== undefined && !UUID.test(customerId))
    throw new UsageError(`--customer must be a customer id (a UUID), got ${customerId}`);
  if (subject !== undefined && !/^[\x21-\x7e]{1,200}$/.test(subject))
    throw new UsageError('--subject must be 1 to 200 visible ASCII characters');
  const match = /^(\d{1,7})(s|m|h|d)$/.exec(ttl);
  const ttlSeconds = match ? Number(match[1]) * TTL_UNITS[match[2] as keyof typeof TTL_UNITS] : Number.NaN;
  if (!(ttlSeconds >= 1 && ttlSeconds <= MAX_TTL_SECONDS))
    throw new UsageError(`--ttl must be a duration from 1s to 30d such as 15m or 8h, got ${ttl}`);
  return { command: 'tokens-issue', role: role as Role, customerId, subject, ttlSeconds, json };
}

/**
 * Parses the arguments after `cqrs`. Options take their value as the next argument or after `=`.
 *
 * @throws {UsageError} for an unknown command or option, a missing or bad value, a stray argument.
 */
export function parseArgs(args: readonly string[], now: () => number = Date.now): Command {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  const valued = new Set([
    '--until',
    '--max-lag',
    '--concurrency',
    '--role',
    '--customer',
    '--subject',
    '--ttl',
    '--key-file',
    '--jwks-file',
  ]);
  const flags = new Set(['--json', '--drop-previous', '--drop-traceparent', '--all', '--help']);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '-h') {
      options.set('--help', true);
      continue;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const [option, inline] = equals > 0 ? [arg.slice(0, equals), arg.slice(equals + 1)] : [arg, undefined];
    if (flags.has(option)) {
      if (inline !== undefined) throw new UsageError(`${option} takes no value`);
      options.set(option, true);
    } else if (valued.has(option)) {
      const value = inline ?? args[++i];
      if (value === undefined || value === '') throw new UsageError(`${option} needs a value`);
      options.set(option, value);
    } else {
      throw new UsageError(`unknown option ${option}`);
    }
  }
  if (options.has('--help') || positional.length === 0 || positional[0] === 'help')
    return { command: 'help' };
  const [group, command, ...rest] = positional;
  if (group !== 'projections' && group !== 'outbox' && group !== 'tokens')
    throw new UsageError(
      `unknown command ${group}; try: cqrs projections list, cqrs outbox list, cqrs tokens issue`,
    );
  const json = options.has('--json');
  const text = (option: string) => {
    const value = options.get(option);
    return typeof value === 'string' ? value : undefined;
  };
  const allow = (...allowed: string[]) => {
    for (const option of options.keys())
      if (option !== '--json' && !allowed.includes(option))
        throw new UsageError(`${option} does not apply to ${group} ${command}`);
  };
  const noMore = (max: number) => {
    if (rest.length > max) throw new UsageError(`unexpected argument ${rest[max]}`);
  };
  if (group === 'tokens') {
    if (command === 'keygen') {
      allow('--key-file', '--jwks-file');
      noMore(0);
      const keyFile = text('--key-file');
      const jwksFile = text('--jwks-file');
      if (keyFile === undefined || jwksFile === undefined)
        throw new UsageError('name both files: --key-file <private JWK> --jwks-file <JWKS>');
      return { command: 'tokens-keygen', keyFile, jwksFile, json };
    }
    if (command !== 'issue')
      throw new UsageError(
        command === undefined ? 'name a command: issue, keygen' : `unknown command tokens ${command}`,
      );
    allow('--role', '--customer', '--subject', '--ttl');
    noMore(0);
    return tokensIssue(text('--role'), text('--customer'), text('--subject'), text('--ttl') ?? '1h', json);
  }
  if (group === 'outbox')
    switch (command ?? '') {
      case 'list':
        allow();
        noMore(0);
        return { command: 'outbox-list', json };
      case 'release':
        allow('--drop-traceparent');
        noMore(1);
        if (rest[0] === undefined) throw new UsageError('name the position of the row to release');
        return {
          command: 'outbox-release',
          position: wholeNumber('the position', rest[0], 1, Number.MAX_SAFE_INTEGER),
          dropTraceparent: options.has('--drop-traceparent'),
          json,
        };
      default:
        throw new UsageError(
          command === undefined ? 'name a command: list, release' : `unknown command outbox ${command}`,
        );
    }
  switch (command ?? '') {
    case 'list':
      allow();
      noMore(0);
      return { command: 'list', json };
    case 'rebuild': {
      allow('--until', '--drop-previous', '--max-lag', '--concurrency');
      noMore(1);
      const until = text('--until') === undefined ? undefined : instant(text('--until') ?? '');
      if (until !== undefined && Date.parse(until) > now())
        throw new UsageError(`--until ${until} is in the future; a point-in-time version shows the past`);
      if (until !== undefined && options.has('--drop-previous'))
        throw new UsageError(
          '--drop-previous does not apply to a point-in-time build, which never goes live',
        );
      return {
        command: 'rebuild',
        projections: projectionsArg(rest[0], true),
        until,
        dropPrevious: options.has('--drop-previous'),
        maxLag: wholeNumber('--max-lag', text('--max-lag') ?? '100', 0, 1_000_000),
        concurrency: wholeNumber('--concurrency', text('--concurrency') ?? '6', 1, 256),
        json,
      };
    }
    case 'switch':
    case 'drop': {
      allow();
      noMore(2);
      const [projection] = projectionsArg(rest[0], false);
      const verb = command === 'switch' ? 'switch' : 'drop';
      if (rest[1] === undefined) throw new UsageError(`name the version to ${verb}`);
      return {
        command: verb,
        projection: projection ?? 'order-history',
        version: wholeNumber('the version', rest[1], 1, 1_000_000),
        json,
      };
    }
    case 'gc':
      allow();
      noMore(1);
      return { command: 'gc', projections: projectionsArg(rest[0] ?? 'all', true), json };
    case 'redrive': {
      allow('--all');
      noMore(2);
      const [projection = 'order-history'] = projectionsArg(rest[0], false);
      const all = options.has('--all');
      const aggregate = rest[1];
      if (all === (aggregate !== undefined))
        throw new UsageError('name one parked aggregate (<type>:<id>) or give --all');
      if (aggregate !== undefined && !/^(customer|product|order):[\x21-\x7e]{1,255}$/.test(aggregate))
        throw new UsageError(
          `the aggregate must be <type>:<id> (customer, product or order), got ${aggregate}`,
        );
      return { command: 'redrive', projection, aggregate: aggregate ?? 'all', json };
    }
    default:
      throw new UsageError(
        command === undefined
          ? 'name a command: list, rebuild, switch, drop, gc, redrive'
          : `unknown command projections ${command}`,
      );
  }
}
