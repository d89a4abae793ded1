import { type Environment, loadConfig, redisSection } from '@cqrs-shop/config';
import { projectorServiceSections } from '@cqrs-shop/projector';
import { service } from '@cqrs-shop/service-registry';

export function loadServiceConfig(env: Environment) {
  return loadConfig(
    projectorServiceSections(
      service('projector-analytics'),
      { redis: redisSection },
      // The checkpoints are written by the batch's own script: one with every batch costs nothing.
      { checkpointIntervalMs: 0 },
    ),
    env,
  );
}
