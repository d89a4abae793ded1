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
import { service } from '@cqrs-shop/service-registry';

export function loadAnalyticsConfig(env: Environment) {
  return loadConfig(
    {
      runtime: runtimeSection,
      http: httpSection(service('projector-analytics')),
      kafka: kafkaSection,
      redis: redisSection,
      // The checkpoints are written by the batch's own script: one with every batch costs nothing.
      projector: projectorSection('cqrs-shop.projector-analytics.v1', 0),
      auth: authSection,
    },
    env,
  );
}
