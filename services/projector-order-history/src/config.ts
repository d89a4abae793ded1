import { type Environment, loadConfig, mongodbSection, redisSection } from '@cqrs-shop/config';
import { projectorServiceSections } from '@cqrs-shop/projector';
import { service } from '@cqrs-shop/service-registry';

export function loadServiceConfig(env: Environment) {
  return loadConfig(
    projectorServiceSections(service('projector-order-history'), {
      mongodb: mongodbSection,
      // The order views, beside the documents: what the gateway reads an order or a page from.
      redis: redisSection,
    }),
    env,
  );
}
