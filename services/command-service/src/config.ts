import { authSection } from '@cqrs-shop/auth';
import { rateLimitSection } from '@cqrs-shop/rate-limit';
import {
  consistencyTokenSection,
  type Environment,
  httpSection,
  loadConfig,
  mysqlSection,
  redisSection,
  runtimeSection,
  section,
  variable,
} from '@cqrs-shop/config';
import { service } from '@cqrs-shop/service-registry';

const commandsSection = section(
  {
    /** How long an Idempotency-Key is remembered. @default 24h */
    IDEMPOTENCY_TTL: variable.duration({ default: 24 * 3_600_000, max: 30 * 24 * 3_600_000 }),
    /**
     * How long the audit record of a command is kept; `0` keeps them all. It names who did what
     * (actor, address): keep it as long as your audit duty asks, no longer. @default 2160h (90 days)
     */
    COMMAND_AUDIT_RETENTION: variable.duration({ default: 90 * 24 * 3_600_000 }),
    /** How often expired idempotency keys and audit rows past their retention are deleted. @default 10s */
    RETENTION_SWEEP_INTERVAL: variable.duration({ default: 10_000, max: 3_600_000 }),
    /** Apply pending migrations at start (for development; production runs the migrate job). @default false */
    MIGRATE_ON_START: variable.boolean({ default: false }),
  },
  (v) => ({
    idempotencyTtlMs: v.IDEMPOTENCY_TTL,
    auditRetentionMs: v.COMMAND_AUDIT_RETENTION,
    sweepIntervalMs: v.RETENTION_SWEEP_INTERVAL,
    migrateOnStart: v.MIGRATE_ON_START,
  }),
);

/** Everything the command service reads from its environment. */
export function loadServiceConfig(env: Environment) {
  return loadConfig(
    {
      runtime: runtimeSection,
      http: httpSection(service('command-service')),
      mysql: mysqlSection,
      commands: commandsSection,
      auth: authSection,
      consistencyTokens: consistencyTokenSection,
      /** Where the request budgets are kept, shared by every replica. */
      redis: redisSection,
      rateLimits: rateLimitSection('commands'),
    },
    env,
  );
}

export type CommandServiceConfig = ReturnType<typeof loadServiceConfig>;

/** What the migration job (`migrate.js`) reads from its environment. */
export function loadMigrateConfig(env: Environment) {
  return loadConfig({ runtime: runtimeSection, mysql: mysqlSection }, env);
}
