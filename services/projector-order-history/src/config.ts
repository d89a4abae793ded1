import { authSection } from '@cqrs-shop/auth';
import {
  type Environment,
  httpSection,
  kafkaSection,
  loadConfig,
  mongodbSection,
  redisSection,
  runtimeSection,
} from '@cqrs-shop/config';
import { projectorSection } from '@cqrs-shop/projector';
import { service } from '@cqrs-shop/service-registry';

export function loadOrderHistoryConfig(env: Environment) {
  return loadConfig(
    {
      runtime: runtimeSection,
      http: httpSection(service('projector-order-history')),
      kafka: kafkaSection,
      mongodb: mongodbSection,
      // The order views, beside the documents: what the gateway reads an order or a page from.
      redis: redisSection,
      projector: projectorSection('cqrs-shop.projector-order-history.v1'),
      auth: authSection,
    },
    env,
  );
}
