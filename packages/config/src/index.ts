export { ConfigError, loadConfig, section } from './load.js';
export type { ConfigIssue, ConfigOf, ConfigSection, Environment } from './load.js';
export {
  consistencyTokenSection,
  elasticsearchSection,
  httpSection,
  kafkaSection,
  mongodbSection,
  mysqlConnection,
  mysqlSection,
  redisSection,
  runtimeSection,
} from './sections.js';
export type { MysqlConnectionSettings, PortSetting } from './sections.js';
export * as variable from './variables.js';
export type { Rate, Variable } from './variables.js';
