// Where the search read model lives: Elasticsearch indices per version, read through aliases
// that point at the live version's. Its projector writes there; the gateway, the convergence
// check and the CLI read there, by these names only.

/**
 * Elasticsearch aliases of the search read model: reads go through them, and each points at the
 * live version's index, so that moving all three in one request switches the model atomically.
 */
export function searchAliases(indexPrefix: string) {
  return {
    orders: `${indexPrefix}-orders`,
    products: `${indexPrefix}-products`,
    /** The customers joined into orders. */
    customers: `${indexPrefix}-search-customers`,
  } as const;
}

/** The indices of one version of the search read model. */
export function searchIndices(indexPrefix: string, version: number) {
  const aliases = searchAliases(indexPrefix);
  return {
    orders: `${aliases.orders}-v${version}`,
    products: `${aliases.products}-v${version}`,
    customers: `${aliases.customers}-v${version}`,
    /** Not behind an alias: parking is the bookkeeping of the projector writing this version. */
    parked: `${indexPrefix}-search-parked-v${version}`,
    /** Per partition read (`_id` = `topic:partition`), the next offset to apply; written after the changes. */
    checkpoints: `${indexPrefix}-search-checkpoints-v${version}`,
  } as const;
}

/** The index holding the record of every search version (the aliases are the live pointer). */
export const searchVersionsIndex = (indexPrefix: string) => `${indexPrefix}-search-targets`;
