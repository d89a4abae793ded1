import { type Environment, httpSection, loadConfig, mysqlSection, runtimeSection } from '@cqrs-shop/config';

/** Everything the command service reads from its environment. */
export function loadCommandServiceConfig(env: Environment) {
  return loadConfig(
    { runtime: runtimeSection, http: httpSection('COMMAND_PORT', 3001), mysql: mysqlSection },
    env,
  );
}

export type CommandServiceConfig = ReturnType<typeof loadCommandServiceConfig>;
