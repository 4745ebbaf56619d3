import type { AnyDocument, CatalogDocument, Kind } from './types.js';

/** The desired state: every valid document, indexed by kind and id. */
export interface Catalog {
  documents: AnyDocument[];
  byKind: { [K in Kind]: Map<string, CatalogDocument<K>> };
}

export function indexCatalog(documents: AnyDocument[]): Catalog {
  const byKind = {
    Content: new Map(), Recipient: new Map(), MonitoringJob: new Map(), EmbedJob: new Map(), Site: new Map(), Policy: new Map(),
  } as Catalog['byKind'];
  for (const doc of documents) {
    const map = byKind[doc.kind] as Map<string, AnyDocument>;
    if (!map.has(doc.metadata.id)) map.set(doc.metadata.id, doc);
  }
  return { documents, byKind };
}

export function policyOf(catalog: Catalog): CatalogDocument<'Policy'> | undefined {
  return catalog.byKind.Policy.values().next().value;
}
