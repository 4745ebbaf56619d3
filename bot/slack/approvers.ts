import type { PolicySpec } from '../../core/catalog/types.js';
import { appliedPolicy } from '../../core/db/policy.js';
import { redactedMessage } from '../../core/redact.js';
import type { FindingAction } from '../../core/queues.js';
import type { SlackDeps } from './deps.js';
import { purposeClient } from './purpose-clients.js';

/** What a person may be allowed to do: an action on a finding, deciding a suspect in the review queue, or revoking a traced streaming session. */
export type ApproverRole = FindingAction | 'review' | 'revoke';

/**
 * Who may do which action to a finding (or review a suspect): the applied Policy's approvers for it, Slack user ids
 * (U…, W…) and user-group ids (S…) whose members Slack lists (usergroups.users.list, cached in
 * Redis). Nobody listed means nobody may; a group Slack cannot list right now allows nobody through
 * it. The decision is a pure function; reading the Policy and the groups is the I/O around it.
 */

export interface Approvers {
  users: readonly string[];
  groups: readonly string[];
}

/** Members per user group; undefined where Slack could not say (and nothing was cached). */
export type GroupMembers = ReadonlyMap<string, readonly string[] | undefined>;

export type Approval = { allowed: true } | { allowed: false; why: string };

const LABELS: Record<ApproverRole, { label: string; role: string }> = {
  takedown: { label: 'Take down', role: 'a takedown approver' },
  ignore: { label: 'Ignore', role: 'an ignore approver' },
  detect: { label: 'Detect', role: 'a detect approver' },
  review: { label: 'Deciding a suspect', role: 'a reviewer' },
  revoke: { label: 'Revoke', role: 'a revoke approver' },
};

export function actionLabel(action: ApproverRole): string {
  return LABELS[action].label;
}

export function approversOf(policy: PolicySpec, action: ApproverRole): Approvers {
  const listed = policy.approvers?.[action] ?? [];
  return { users: listed.filter((id) => !id.startsWith('S')), groups: listed.filter((id) => id.startsWith('S')) };
}

function whoToAsk(approvers: Approvers): string {
  const names = [...approvers.users.map((u) => `<@${u}>`), ...approvers.groups.map((g) => `a member of <!subteam^${g}>`)];
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]!}`;
}

export function decideApproval(action: ApproverRole, approvers: Approvers, user: string, members: GroupMembers): Approval {
  const { label, role } = LABELS[action];
  if (approvers.users.length === 0 && approvers.groups.length === 0) {
    return { allowed: false, why: `${label} needs ${role}, and the Policy lists no approvers for ${action}: add Slack user or user-group ids to spec.approvers.${action} in the Policy and apply it.` };
  }
  if (approvers.users.includes(user)) return { allowed: true };
  if (approvers.groups.some((g) => members.get(g)?.includes(user))) return { allowed: true };
  const unread = approvers.groups.filter((g) => members.get(g) === undefined);
  if (unread.length > 0) {
    return { allowed: false, why: `${label} needs ${role}, and Slack did not say who is in ${unread.map((g) => `<!subteam^${g}>`).join(', ')} just now: try again in a minute, or ask ${whoToAsk(approvers)}.` };
  }
  return { allowed: false, why: `${label} needs ${role}: ask ${whoToAsk(approvers)}.` };
}

/** How long a user group's members are trusted before Slack is asked again. */
export const GROUP_CACHE_SECONDS = 300;

/** Lookups under way in this process, by cache key: fifty clicks at once make one Slack call per group. */
const inFlight = new Map<string, Promise<readonly string[] | undefined>>();

async function readGroup(deps: SlackDeps, group: string, key: string): Promise<readonly string[] | undefined> {
  try {
    const cached = await deps.redis.get(key);
    if (cached !== null) return JSON.parse(cached) as string[];
  } catch (error) {
    deps.log.warn({ group, err: { message: redactedMessage(error) } }, 'slack user-group cache unreadable; asking Slack');
  }
  try {
    const answer = await purposeClient(deps, 'lookup').usergroups.users.list({ usergroup: group });
    const users = answer.users ?? [];
    await deps.redis.set(key, JSON.stringify(users), 'EX', GROUP_CACHE_SECONDS).catch(() => undefined);
    return users;
  } catch (error) {
    deps.log.warn({ group, err: { message: redactedMessage(error) } }, 'slack user-group members could not be read');
    return undefined;
  }
}

/** A user group's members, from the cache or Slack; undefined when neither can say. */
export function groupMembers(deps: SlackDeps, group: string): Promise<readonly string[] | undefined> {
  const key = `${deps.keyPrefix}:slack:usergroup:${group}`;
  let lookup = inFlight.get(key);
  if (!lookup) {
    lookup = readGroup(deps, group, key).finally(() => inFlight.delete(key));
    inFlight.set(key, lookup);
  }
  return lookup;
}

/** Whether this Slack user may do this action (or review), by the applied Policy. */
export async function authorize(deps: SlackDeps, action: ApproverRole, user: string): Promise<Approval> {
  const approvers = approversOf(await appliedPolicy(deps.pool), action);
  // Someone named in person needs no group lookup.
  if (approvers.users.includes(user)) return { allowed: true };
  const members = new Map(await Promise.all(approvers.groups.map(async (g) => [g, await groupMembers(deps, g)] as const)));
  return decideApproval(action, approvers, user, members);
}
