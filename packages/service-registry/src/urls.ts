import { section, variable, type Variable } from '@cqrs-shop/config';
import { localUrl, PROJECTORS, type ProjectionName, service, type ServiceEntry } from './services.js';

/**
 * Where the gateway and the CLI find the outbox relay and each projector: one URL variable per
 * service (`RELAY_URL`, `SEARCH_PROJECTOR_URL`, …). With `localDefaults` an unset variable means
 * the service on this machine at its default port; without, it stays '' (a deployed tool has no
 * business guessing addresses).
 */
export function serviceUrlsSection({ localDefaults }: { readonly localDefaults: boolean }) {
  const relay: ServiceEntry = service('outbox-relay');
  const found: readonly ServiceEntry[] = [relay, ...PROJECTORS];
  return section(
    Object.fromEntries(
      found.map((entry) => [
        entry.urlVariable ?? '',
        variable.url({ protocols: ['http:', 'https:'], default: localDefaults ? localUrl(entry) : '' }),
      ]),
    ) as Record<string, Variable<string>>,
    (values) => {
      const urlOf = (entry: ServiceEntry) =>
        (values as Record<string, string>)[entry.urlVariable ?? ''] ?? '';
      return {
        relay: urlOf(relay),
        projectors: Object.fromEntries(PROJECTORS.map((p) => [p.projection.name, urlOf(p)])) as Record<
          ProjectionName,
          string
        >,
      };
    },
  );
}
