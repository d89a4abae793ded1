import { authSection } from '@cqrs-shop/auth';
import {
  elasticsearchSection,
  type Environment,
  httpSection,
  kafkaSection,
  loadConfig,
  runtimeSection,
} from '@cqrs-shop/config';
import { projectorSection } from '@cqrs-shop/projector';

export function loadSearchConfig(env: Environment) {
  return loadConfig(
    {
      runtime: runtimeSection,
      http: httpSection('SEARCH_PORT', 3012),
      kafka: kafkaSection,
      elasticsearch: elasticsearchSection,
      projector: projectorSection('cqrs-shop.projector-search.v1'),
      auth: authSection,
    },
    env,
  );
}
