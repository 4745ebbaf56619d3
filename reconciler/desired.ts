import type { Catalog } from '../core/catalog/catalog.js';
import type { AnyDocument, Kind, Metadata } from '../core/catalog/types.js';
import { contentHash } from './hash.js';

/** A catalog object as the reconciler stores it. */
export interface DesiredObject {
  kind: Kind;
  id: string;
  metadata: Metadata;
  spec: unknown;
  hash: string;
  source: { file: string; line: number };
}

export interface DesiredRecipient {
  id: string;
  name: string;
  watermarkId: number;
  retired: boolean;
}

/** A monitoring job with every default filled in. */
export interface DesiredJob {
  id: string;
  contentId: string;
  tier: 'standard' | 'premium';
  detection: 'manual' | 'automatic';
  takedown: 'manual' | 'automatic';
  startDate: string;
  stopDate: string | null;
  everyMs: number;
  stopped: boolean;
}

export interface DesiredState {
  objects: Map<string, DesiredObject>;
  recipients: Map<string, DesiredRecipient>;
  jobs: Map<string, DesiredJob>;
}

/** Premium titles are crawled more often than standard ones. */
export const DEFAULT_EVERY_MS = { premium: 60 * 60_000, standard: 6 * 60 * 60_000 } as const;

export function parseEvery(every: string): number {
  const amount = Number(every.slice(0, -1));
  const unit = every.slice(-1);
  return amount * (unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000);
}

export function objectKey(kind: Kind, id: string): string {
  return `${kind}/${id}`;
}

function toObject(doc: AnyDocument): DesiredObject {
  return {
    kind: doc.kind,
    id: doc.metadata.id,
    metadata: doc.metadata,
    spec: doc.spec,
    hash: contentHash({ metadata: doc.metadata, spec: doc.spec }),
    source: { file: doc.source.file, line: doc.source.position.line },
  };
}

/** What the catalog asks for, in the shape the database keeps. */
export function desiredState(catalog: Catalog): DesiredState {
  const objects = new Map<string, DesiredObject>();
  for (const doc of catalog.documents) objects.set(objectKey(doc.kind, doc.metadata.id), toObject(doc));
  const recipients = new Map<string, DesiredRecipient>();
  for (const doc of catalog.byKind.Recipient.values()) {
    recipients.set(doc.metadata.id, { id: doc.metadata.id, name: doc.spec.name, watermarkId: doc.spec.watermarkId, retired: doc.spec.retired ?? false });
  }
  const jobs = new Map<string, DesiredJob>();
  for (const doc of catalog.byKind.MonitoringJob.values()) {
    const content = catalog.byKind.Content.get(doc.spec.content);
    const tier = doc.spec.tier ?? 'standard';
    jobs.set(doc.metadata.id, {
      id: doc.metadata.id,
      contentId: doc.spec.content,
      tier,
      detection: doc.spec.detection ?? 'manual',
      takedown: doc.spec.takedown ?? 'manual',
      startDate: doc.spec.start ?? content?.spec.releaseDate ?? '1970-01-01',
      stopDate: doc.spec.stop ?? null,
      everyMs: doc.spec.every ? parseEvery(doc.spec.every) : DEFAULT_EVERY_MS[tier],
      stopped: doc.spec.stopped ?? false,
    });
  }
  return { objects, recipients, jobs };
}
