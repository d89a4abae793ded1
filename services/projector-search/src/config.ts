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
import { service } from '@cqrs-shop/service-registry';

export function loadSearchConfig(env: Environment) {
  return loadConfig(
    {
      runtime: runtimeSection,
      http: httpSection(service('projector-search')),
      kafka: kafkaSection,
      elasticsearch: elasticsearchSection,
      projector: projectorSection('cqrs-shop.projector-search.v1'),
      auth: authSection,
    },
    env,
  );
}
