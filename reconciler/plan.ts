import type { MonitoringJobStatus } from '../core/status.js';
import { monitorSchedulerId } from '../core/queues.js';
import type { ActualJob, ActualState } from './actual.js';
import { dayNumber } from '../core/catalog/checks.js';
import type { Kind } from '../core/catalog/types.js';
import type { DesiredJob, DesiredObject, DesiredRecipient, DesiredState } from './desired.js';
import { canonicalJson } from './hash.js';

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** One thing apply will do. Kinds of change are closed: a reviewer reads + ~ - ! at a glance. */
export type Change =
  | { op: 'create'; object: DesiredObject }
  | { op: 'update'; object: DesiredObject; fields: FieldChange[] }
  | { op: 'repair'; object: DesiredObject; reason: string }
  | { op: 'delete'; kind: Kind; id: string }
  | { op: 'allocate'; recipientId: string; watermarkId: number; name: string; retired: boolean }
  | { op: 'retire'; recipientId: string; watermarkId: number }
  | { op: 'reinstate'; recipientId: string; watermarkId: number }
  | { op: 'rename'; recipientId: string; watermarkId: number; from: string; to: string }
  | { op: 'job'; job: DesiredJob | ActualJob; from: MonitoringJobStatus | null; to: MonitoringJobStatus; reason: string; scheduler: 'register' | 'unregister' | 'keep' };

export type ChangeOp = Change['op'];

/** A change the catalog asks for that Vigil must refuse, such as reusing a watermark ID. */
export interface Rejection {
  kind: Kind;
  id: string;
  field: string;
  message: string;
}

export interface Plan {
  changes: Change[];
  rejections: Rejection[];
  /** The day the plan was made for (yyyy-MM-dd, UTC): job statuses depend on it. */
  today: string;
}

export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** Where a monitoring job should be on `today`, given its spec. */
export function desiredJobStatus(job: DesiredJob | undefined, today: string): { status: MonitoringJobStatus; reason: string } {
  if (!job) return { status: 'Stopped', reason: 'removed from the catalog' };
  if (job.stopped) return { status: 'Stopped', reason: 'stopped: true in the catalog' };
  if (job.stopDate && dayNumber(today) > dayNumber(job.stopDate)) return { status: 'Stopped', reason: `stop date ${job.stopDate} has passed` };
  if (dayNumber(today) < dayNumber(job.startDate)) return { status: 'Scheduled', reason: `reserved until ${job.startDate}` };
  return { status: 'Monitoring', reason: `running since ${job.startDate}` };
}

function changedFields(before: unknown, after: unknown, prefix: string): FieldChange[] {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = (after ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys
    .filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k]))
    .map((k) => ({ field: `${prefix}${k}`, from: a[k], to: b[k] }));
}

const JOB_PARAMS = ['contentId', 'tier', 'detection', 'takedown', 'startDate', 'stopDate', 'everyMs'] as const;

function planObjects(desired: DesiredState, actual: ActualState, changes: Change[]): void {
  for (const [key, object] of desired.objects) {
    const current = actual.objects.get(key);
    if (!current || current.deleted) {
      changes.push({ op: 'create', object });
    } else if (current.appliedHash !== object.hash) {
      const fields = [...changedFields(current.metadata, object.metadata, 'metadata.'), ...changedFields(current.spec, object.spec, '')];
      changes.push({ op: 'update', object, fields });
    } else if (current.liveHash !== current.appliedHash) {
      changes.push({ op: 'repair', object, reason: 'the database row was edited outside Vigil' });
    }
  }
  for (const [key, current] of actual.objects) {
    if (current.deleted || desired.objects.has(key)) continue;
    // Recipients are retired, never deleted: their allocation row says so.
    if (current.kind !== 'Recipient') changes.push({ op: 'delete', kind: current.kind, id: current.id });
  }
}

/**
 * Validation already refuses two recipients named alike; a desired state that did not pass through
 * it must still end in a located rejection rather than in the database's unique index.
 */
function rejectSharedNames(desired: DesiredState, rejections: Rejection[]): Set<string> {
  const byName = new Map<string, DesiredRecipient>();
  const rejected = new Set<string>();
  for (const recipient of desired.recipients.values()) {
    if (recipient.retired) continue;
    const key = recipient.name.toLowerCase();
    const first = byName.get(key);
    if (!first) {
      byName.set(key, recipient);
      continue;
    }
    rejected.add(recipient.id);
    rejections.push({
      kind: 'Recipient', id: recipient.id, field: 'spec.name',
      message: `recipient name ${JSON.stringify(recipient.name)} is also wanted by Recipient/${first.id} (${JSON.stringify(first.name)}); active recipient names are unique ignoring case`,
    });
  }
  return rejected;
}

function planRecipients(desired: DesiredState, actual: ActualState, changes: Change[], rejections: Rejection[]): void {
  const shared = rejectSharedNames(desired, rejections);
  for (const recipient of desired.recipients.values()) {
    if (shared.has(recipient.id)) continue;
    const allocation = actual.allocations.get(recipient.id);
    if (allocation) {
      if (allocation.watermarkId !== recipient.watermarkId) {
        rejections.push({
          kind: 'Recipient', id: recipient.id, field: 'spec.watermarkId',
          message: `watermarkId of Recipient/${recipient.id} is ${allocation.watermarkId} forever; it cannot become ${recipient.watermarkId}`,
        });
        continue;
      }
      if (recipient.retired && !allocation.retired) changes.push({ op: 'retire', recipientId: recipient.id, watermarkId: allocation.watermarkId });
      if (!recipient.retired && allocation.retired) changes.push({ op: 'reinstate', recipientId: recipient.id, watermarkId: allocation.watermarkId });
      if (allocation.name !== recipient.name) {
        changes.push({ op: 'rename', recipientId: recipient.id, watermarkId: allocation.watermarkId, from: allocation.name, to: recipient.name });
      }
      continue;
    }
    const holder = actual.allocationsById.get(recipient.watermarkId);
    if (holder) {
      rejections.push({
        kind: 'Recipient', id: recipient.id, field: 'spec.watermarkId',
        message: `watermarkId ${recipient.watermarkId} was allocated to Recipient/${holder.recipientId}${holder.retired ? ' (retired)' : ''} and is never reused: pick an unused ID`,
      });
      continue;
    }
    changes.push({ op: 'allocate', recipientId: recipient.id, watermarkId: recipient.watermarkId, name: recipient.name, retired: recipient.retired });
  }
  for (const allocation of actual.allocations.values()) {
    if (!desired.recipients.has(allocation.recipientId) && !allocation.retired) {
      changes.push({ op: 'retire', recipientId: allocation.recipientId, watermarkId: allocation.watermarkId });
    }
  }
}

function planJobs(desired: DesiredState, actual: ActualState, today: string, changes: Change[]): void {
  const ids = new Set([...desired.jobs.keys(), ...actual.jobs.keys()]);
  for (const id of [...ids].sort()) {
    const want = desired.jobs.get(id);
    const have = actual.jobs.get(id);
    const { status, reason } = desiredJobStatus(want, today);
    const active = status !== 'Stopped';
    const schedulerPresent = actual.schedulers?.has(monitorSchedulerId(id));
    if (!have) {
      if (want) changes.push({ op: 'job', job: want, from: null, to: status, reason, scheduler: active ? 'register' : 'keep' });
      continue;
    }
    const job = want ?? have;
    const paramsChanged = want !== undefined && JOB_PARAMS.some((p) => want[p] !== have[p]);
    if (have.status === 'Registration Failed' && active) {
      changes.push({ op: 'job', job, from: have.status, to: status, reason: `retry registration (${reason})`, scheduler: 'register' });
    } else if (have.status !== status) {
      changes.push({ op: 'job', job, from: have.status, to: status, reason, scheduler: active ? 'register' : 'unregister' });
    } else if (active && paramsChanged) {
      changes.push({ op: 'job', job, from: have.status, to: status, reason: 'schedule settings changed', scheduler: 'register' });
    } else if (active && schedulerPresent === false) {
      changes.push({ op: 'job', job, from: have.status, to: status, reason: 'drift: job scheduler missing from Redis', scheduler: 'register' });
    } else if (!active && schedulerPresent === true) {
      changes.push({ op: 'job', job, from: have.status, to: status, reason: 'drift: stopped job still scheduled in Redis', scheduler: 'unregister' });
    } else if (paramsChanged) {
      changes.push({ op: 'job', job, from: have.status, to: status, reason: 'settings changed while stopped', scheduler: 'keep' });
    }
  }
}

/**
 * The pure heart of the reconciler: what must change so that `actual` matches `desired` on `now`.
 * Level-triggered: it looks only at the two states, never at what changed in git.
 */
export function plan(desired: DesiredState, actual: ActualState, now: Date): Plan {
  const today = utcDay(now);
  const changes: Change[] = [];
  const rejections: Rejection[] = [];
  planObjects(desired, actual, changes);
  planRecipients(desired, actual, changes, rejections);
  planJobs(desired, actual, today, changes);
  return { changes, rejections, today };
}
