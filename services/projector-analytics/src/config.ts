import { authSection } from '@cqrs-shop/auth';
import {
  type Environment,
  httpSection,
  kafkaSection,
  loadConfig,
  redisSection,
  runtimeSection,
} from '@cqrs-shop/config';
import { projectorSection } from '@cqrs-shop/projector';

export function loadAnalyticsConfig(env: Environment) {
  return loadConfig(
    {
      runtime: runtimeSection,
      http: httpSection('ANALYTICS_PORT', 3013),
      kafka: kafkaSection,
      redis: redisSection,
      // The checkpoints are written by the batch's own script: one with every batch costs nothing.
      projector: projectorSection('cqrs-shop.projector-analytics.v1', 0),
      auth: authSection,
    },
    env,
  );
}
