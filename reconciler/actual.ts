import type { MonitoringJobStatus } from '../core/status.js';
import type { Kind, Metadata } from '../core/catalog/types.js';
import type { DesiredJob } from './desired.js';

/** What the database (and, when known, Redis) says is running. */
export interface ActualObject {
  kind: Kind;
  id: string;
  metadata: Metadata;
  spec: unknown;
  /** Hash recorded when the object was last applied. */
  appliedHash: string;
  /** Hash of the row as it is now; differs from appliedHash when someone edited the row. */
  liveHash: string;
  generation: number;
  deleted: boolean;
}

export interface ActualAllocation {
  watermarkId: number;
  recipientId: string;
  name: string;
  retired: boolean;
}

export interface ActualJob extends Omit<DesiredJob, 'stopped'> {
  status: MonitoringJobStatus;
}

export interface ActualState {
  objects: Map<string, ActualObject>;
  /** By recipient id. */
  allocations: Map<string, ActualAllocation>;
  /** By watermark id: every ID ever handed out, retired ones included. */
  allocationsById: Map<number, ActualAllocation>;
  jobs: Map<string, ActualJob>;
  /** Job scheduler ids present in Redis; undefined when Redis was not consulted (plain `vigil plan`). */
  schedulers?: Set<string> | undefined;
  lastCommit: string | undefined;
}

export function emptyActualState(): ActualState {
  return { objects: new Map(), allocations: new Map(), allocationsById: new Map(), jobs: new Map(), lastCommit: undefined };
}
