// Applies pending write-model migrations and exits: `node dist/migrate.js`.
import { runTask } from '@cqrs-shop/lifecycle';
import { migrate } from './adapters/mysql/migrations.js';
import { loadMigrateConfig } from './config.js';

void runTask({
  name: 'command-service-migrate',
  loadConfig: () => loadMigrateConfig(process.env),
  async run({ config, logger }) {
    const applied = await migrate(config.mysql, logger);
    logger.info({ applied }, applied.length === 0 ? 'schema is up to date' : 'migrations applied');
  },
});
