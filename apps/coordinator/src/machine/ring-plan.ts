import type { AssignmentFields } from '@awn/protocol';
import type { Member } from './membership.js';

/** The ring of one generation: members in rank order and the rank whose state everyone takes. */
export interface RingPlan {
  ring: Member[];
  /** Step the ring continues from. */
  resumeStep: number;
  /** Rank that broadcasts its state. */
  root: number;
}

/**
 * Ranks for the next generation: the current ring's surviving order first, then newcomers; the
 * root is a member that completed the most steps, so a step applied on some ranks before a
 * failure is never lost and none is applied twice.
 */
export function planRing(previous: readonly Member[], members: readonly Member[], resumeFloor: number): RingPlan {
  const survivors = previous.filter((m) => members.includes(m));
  const ring = [...survivors, ...members.filter((m) => !survivors.includes(m))];
  if (ring.length === 0) throw new RangeError('a ring needs at least one member');
  const resumeStep = Math.max(resumeFloor, ...ring.map((m) => m.completed));
  const root = Math.max(
    0,
    ring.findIndex((m) => m.completed === resumeStep),
  );
  return { ring, resumeStep, root };
}

/**
 * What each member of a planned ring is told: a welcome (with the run's config) the first time,
 * an assignment after that. Marks the members welcomed.
 */
export function ringAnnouncements(
  plan: RingPlan,
): { member: Member; kind: 'welcome' | 'assignment'; fields: AssignmentFields }[] {
  const peers = plan.ring.map((m) => m.join.dataAddress);
  return plan.ring.map((m, rank) => {
    const fields: AssignmentFields = {
      workerId: m.workerId,
      rank,
      worldSize: plan.ring.length,
      peers,
      resumeStep: plan.resumeStep,
      broadcastRoot: plan.root,
    };
    const kind = m.welcomed ? 'assignment' : 'welcome';
    m.welcomed = true;
    return { member: m, kind, fields };
  });
}
