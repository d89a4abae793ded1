import { parseArgs, UsageError } from '../src';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const parse = (...args: string[]) => parseArgs(args, () => NOW);

describe('cqrs command line', () => {
  it('reads a rebuild of one projection or all, with its options and defaults', () => {
    expect(parse('projections', 'rebuild', 'search')).toEqual({
      command: 'rebuild',
      projections: ['search'],
      until: undefined,
      dropPrevious: false,
      maxLag: 100,
      concurrency: 6,
      json: false,
    });
    expect(
      parse(
        'projections',
        'rebuild',
        'all',
        '--drop-previous',
        '--max-lag=0',
        '--concurrency',
        '2',
        '--json',
      ),
    ).toMatchObject({
      projections: ['order-history', 'search', 'analytics'],
      dropPrevious: true,
      maxLag: 0,
      concurrency: 2,
      json: true,
    });
  });

  it('normalises --until to UTC and refuses a time without a zone, in the future, or with --drop-previous', () => {
    expect(
      parse('projections', 'rebuild', 'analytics', '--until', '2026-11-24T11:30:00+01:00'),
    ).toMatchObject({
      until: '2026-11-24T10:30:00.000Z',
    });
    expect(() => parse('projections', 'rebuild', 'analytics', '--until', '2026-11-24')).toThrow(
      /--until must be an ISO 8601 time with a zone/,
    );
    expect(() => parse('projections', 'rebuild', 'analytics', '--until', '2026-11-25T00:00:00Z')).toThrow(
      /is in the future/,
    );
    expect(() =>
      parse('projections', 'rebuild', 'analytics', '--until', '2026-11-24T10:00:00Z', '--drop-previous'),
    ).toThrow(/--drop-previous does not apply to a point-in-time build/);
  });

  it('reads list, switch, drop and gc', () => {
    expect(parse('projections', 'list', '--json')).toEqual({ command: 'list', json: true });
    expect(parse('projections', 'switch', 'order-history', '3')).toEqual({
      command: 'switch',
      projection: 'order-history',
      version: 3,
      json: false,
    });
    expect(parse('projections', 'drop', 'search', '2')).toMatchObject({ command: 'drop', version: 2 });
    expect(parse('projections', 'gc')).toEqual({
      command: 'gc',
      projections: ['order-history', 'search', 'analytics'],
      json: false,
    });
    expect(parse()).toMatchObject({ command: 'help' });
    expect(parse('projections', 'list', '--help')).toMatchObject({ command: 'help' });
  });

  it.each([
    [['projections', 'rebuild'], "missing required argument 'name'"],
    [
      ['projections', 'rebuild', 'orders'],
      'unknown projection orders; one of order-history, search, analytics, all',
    ],
    [['projections', 'switch', 'all', '2'], 'unknown projection all'],
    [['projections', 'switch', 'search'], "missing required argument 'version'"],
    [
      ['projections', 'drop', 'search', 'two'],
      'the version must be a whole number from 1 to 1000000, got two',
    ],
    [['projections', 'rebuild', 'search', '--max-lag'], "option '--max-lag <events>' argument missing"],
    [
      ['projections', 'rebuild', 'search', '--concurrency', '0'],
      '--concurrency must be a whole number from 1 to 256',
    ],
    [['projections', 'list', '--until', '2026-11-24T10:00:00Z'], "unknown option '--until'"],
    [['projections', 'list', 'extra'], "too many arguments for 'list'"],
    [['projections', 'rebuild', 'search', '--fast'], "unknown option '--fast'"],
    [['projections', 'list', '--json=yes'], "unknown option '--json=yes'"],
    [['replay'], "unknown command 'replay'"],
    [['projections'], 'name a command'],
  ])('refuses %j: %s', (args, message) => {
    expect(() => parse(...args)).toThrow(UsageError);
    expect(() => parse(...args)).toThrow(message);
  });

  it('reads the outbox commands: list, and release of a position with its fix', () => {
    expect(parse('outbox', 'list', '--json')).toEqual({ command: 'outbox-list', json: true });
    expect(parse('outbox', 'release', '42', '--drop-traceparent')).toEqual({
      command: 'outbox-release',
      position: 42,
      dropTraceparent: true,
      json: false,
    });
    expect(() => parse('outbox', 'release')).toThrow("missing required argument 'position'");
    expect(() => parse('outbox', 'release', '0')).toThrow(/the position must be a whole number from 1/);
    expect(() => parse('outbox', 'list', '--drop-traceparent')).toThrow(
      "unknown option '--drop-traceparent'",
    );
    expect(() => parse('outbox', 'purge')).toThrow("unknown command 'purge'");
  });

  it('reads tokens issue with its role, customer, subject and lifetime, and refuses what cannot be a token', () => {
    const customer = '0b9e4a3c-6a0f-4d3e-9d7e-2f4c8a1b5e6d';
    expect(parse('tokens', 'issue', '--role', 'staff')).toEqual({
      command: 'tokens-issue',
      role: 'staff',
      customerId: undefined,
      subject: undefined,
      ttlSeconds: 3_600,
      json: false,
    });
    expect(
      parse(
        'tokens',
        'issue',
        '--role=customer',
        `--customer=${customer}`,
        '--ttl',
        '15m',
        '--subject',
        'ada',
      ),
    ).toMatchObject({
      role: 'customer',
      customerId: customer,
      subject: 'ada',
      ttlSeconds: 900,
    });
    expect(parse('tokens', 'issue', '--role', 'ops', '--ttl', '7d')).toMatchObject({ ttlSeconds: 604_800 });
    expect(() => parse('tokens', 'issue')).toThrow("required option '--role <role>' not specified");
    expect(() => parse('tokens', 'issue', '--role', 'admin')).toThrow('unknown role admin');
    expect(() => parse('tokens', 'issue', '--role', 'customer')).toThrow('a customer token needs --customer');
    expect(() => parse('tokens', 'issue', '--role', 'staff', '--customer', customer)).toThrow(
      '--customer applies to --role customer only',
    );
    expect(() => parse('tokens', 'issue', '--role', 'customer', '--customer', 'ada')).toThrow('a UUID');
    expect(() => parse('tokens', 'issue', '--role', 'staff', '--ttl', '31d')).toThrow('--ttl must be');
    expect(() => parse('tokens', 'issue', '--role', 'staff', '--ttl', '10')).toThrow('--ttl must be');
    expect(parse('tokens', 'keygen', '--key-file', 'k.json', '--jwks-file', 'j.json')).toEqual({
      command: 'tokens-keygen',
      keyFile: 'k.json',
      jwksFile: 'j.json',
      json: false,
    });
    expect(() => parse('tokens', 'keygen', '--key-file', 'k.json')).toThrow(
      "required option '--jwks-file <file>'",
    );
    expect(() => parse('tokens', 'revoke')).toThrow("unknown command 'revoke'");
  });

  it('reads a redrive of one parked aggregate or of all, and refuses neither or both', () => {
    expect(parse('projections', 'redrive', 'analytics', 'order:42')).toEqual({
      command: 'redrive',
      projection: 'analytics',
      aggregate: 'order:42',
      json: false,
    });
    expect(parse('projections', 'redrive', 'search', '--all', '--json')).toEqual({
      command: 'redrive',
      projection: 'search',
      aggregate: 'all',
      json: true,
    });
    expect(() => parse('projections', 'redrive', 'search')).toThrow('name one parked aggregate');
    expect(() => parse('projections', 'redrive', 'search', 'order:1', '--all')).toThrow(
      'name one parked aggregate',
    );
    expect(() => parse('projections', 'redrive', 'search', 'basket:1')).toThrow(
      'the aggregate must be <type>:<id>',
    );
    expect(() => parse('projections', 'redrive', 'all', '--all')).toThrow('unknown projection all');
  });

  it('reads a convergence check of every read model or of some, with a limit', () => {
    expect(parse('check', 'convergence')).toEqual({
      command: 'check-convergence',
      readModels: undefined,
      limit: 50,
      json: false,
    });
    expect(
      parse(
        'check',
        'convergence',
        '--json',
        '--limit',
        '5',
        '--read-model',
        'search',
        '--read-model=analytics',
      ),
    ).toEqual({ command: 'check-convergence', readModels: ['search', 'analytics'], limit: 5, json: true });
    expect(parse('check', 'convergence', '--limit=0')).toMatchObject({ limit: 0 });
    expect(() => parse('check', 'convergence', '--limit', '-1')).toThrow('--limit must be a whole number');
    expect(() => parse('check', 'convergence', '--limit', '2.5')).toThrow('--limit must be a whole number');
    expect(() => parse('check', 'convergence', '--read-model', 'customers')).toThrow(
      '--read-model must be one of order-history, search, analytics',
    );
    expect(() => parse('check', 'convergence', 'search')).toThrow("too many arguments for 'convergence'");
    expect(() => parse('check', 'convergence', '--verbose')).toThrow("unknown option '--verbose'");
  });

  it('lists every command in the help, and every option of a command in its own help', () => {
    const help = (...args: string[]) => {
      const parsed = parse(...args);
      if (parsed.command !== 'help') throw new Error(`not help: ${JSON.stringify(parsed)}`);
      return parsed.text;
    };
    const root = help('--help');
    for (const command of [
      'projections list',
      'projections rebuild',
      'projections switch',
      'projections drop',
      'projections gc',
      'projections redrive',
      'outbox list',
      'outbox release',
      'tokens issue',
      'tokens keygen',
      'check convergence',
    ])
      expect(root).toContain(`cqrs ${command} `);
    expect(help()).toBe(root);
    expect(help('help', 'projections')).toContain('rebuild [options] <name>');
    const rebuild = help('projections', 'rebuild', '--help');
    for (const option of [
      '--until <time>',
      '--drop-previous',
      '--max-lag <events>',
      '--concurrency <n>',
      '--json',
    ])
      expect(rebuild).toContain(option);
    expect(help('check', 'convergence', '-h')).toContain('--read-model <name>');
    expect(help('tokens', 'issue', '--help')).toContain('--customer <customerId>');
  });

  it('says which command a group lacks', () => {
    expect(() => parse('projections')).toThrow(/name a command[^]*rebuild/);
  });
});
