import { elasticsearchSection, type Environment, loadConfig } from '@cqrs-shop/config';
import { projectorServiceSections } from '@cqrs-shop/projector';
import { service } from '@cqrs-shop/service-registry';

export function loadServiceConfig(env: Environment) {
  return loadConfig(
    projectorServiceSections(service('projector-search'), { elasticsearch: elasticsearchSection }),
    env,
  );
}
