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

export function loadOrderHistoryConfig(env: Environment) {
  return loadConfig(
    {
      runtime: runtimeSection,
      http: httpSection('ORDER_HISTORY_PORT', 3011),
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
