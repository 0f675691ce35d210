import type { JoinMessage } from '@awn/protocol';

/** A worker admitted to the run. */
export interface Member {
  workerId: string;
  /** ZeroMQ identity of its control connection. */
  peer: Buffer;
  join: JoinMessage;
  /** Rank in the current ring, -1 while waiting for the next generation. */
  rank: number;
  lastSeen: number;
  /** Whether it has received its welcome (config) yet. */
  welcomed: boolean;
  /** Last step it reported complete (-1: none yet). */
  completed: number;
  /** Set while a state (checkpoint) message from it is due: the deadline for it to arrive. */
  stateDueBy?: number;
  /**
   * Whether it answered with a message of this run (signed with the run's key when there is a
   * secret). A join replayed from an earlier capture verifies but never answers, so with a
   * secret only confirmed members count towards the run's workers.
   */
  confirmed: boolean;
}

export type Admission = { admitted: Member } | { refused: { code: string; message: string } };

/**
 * Who is in the run and who is alive. Liveness only: a member is lost when it sent nothing for
 * `misses` heartbeat intervals while this coordinator was listening. The coordinator's own
 * pauses (a long synchronous task, a stopped process, a starved machine) do not count against
 * anyone: after a pause, messages that arrived meanwhile are still queued unread, so silence is
 * measured from the moment the coordinator resumed listening.
 */
export class Membership {
  private readonly members = new Map<string, Member>();
  private lastTick: number | undefined;
  private listeningSince: number;

  constructor(
    readonly capacity: number,
    readonly heartbeatMs: number,
    readonly misses: number,
    private readonly expected: { runId: string; configHash: string },
    now: number,
  ) {
    this.listeningSince = now;
  }

  get size(): number {
    return this.members.size;
  }

  all(): Member[] {
    return [...this.members.values()];
  }

  has(member: Member): boolean {
    return this.members.get(member.workerId) === member;
  }

  byPeer(peer: Buffer): Member | undefined {
    for (const m of this.members.values()) if (m.peer.equals(peer)) return m;
    return undefined;
  }

  /** Members that answered with a message of this run. */
  get confirmed(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.confirmed) n++;
    return n;
  }

  /**
   * Checks a join (run id, config hash, duplicate id, capacity) and admits it or says why not.
   * With `unconfirmed`, the member must answer before it counts (see Member.confirmed): capacity
   * then counts confirmed members, and at most `capacity` unconfirmed ones wait beside them.
   */
  admit(peer: Buffer, join: JoinMessage, now: number, closed: boolean, unconfirmed = false): Admission {
    const { runId, configHash } = this.expected;
    if (join.runId !== '' && join.runId !== runId)
      return refuse(
        'run-id-mismatch',
        `worker ${join.workerId} belongs to run ${join.runId}, which this coordinator does not run`,
      );
    if (join.configHash !== 'none' && join.configHash !== configHash) {
      return refuse(
        'config-mismatch',
        `worker ${join.workerId} has config hash ${join.configHash.slice(0, 12)}…, the run's is ${configHash.slice(0, 12)}…: start it with the same config (or none)`,
      );
    }
    if (this.members.has(join.workerId))
      return refuse('duplicate-worker', `a worker with id ${join.workerId} already joined`);
    const counted = unconfirmed ? this.confirmed : this.members.size;
    if (closed || counted >= this.capacity || this.members.size >= 2 * this.capacity)
      return refuse('run-full', `the run already has its ${this.capacity} workers`);
    const member: Member = {
      workerId: join.workerId,
      peer,
      join,
      rank: -1,
      lastSeen: now,
      welcomed: false,
      completed: -1,
      confirmed: !unconfirmed,
    };
    this.members.set(join.workerId, member);
    return { admitted: member };
  }

  heard(member: Member, now: number): void {
    member.lastSeen = now;
  }

  /**
   * `member` is about to send its training state (hundreds of megabytes for a large model). Its
   * heartbeats queue behind that message on the same connection, so until the state arrives (or
   * `untilMs`, a progress deadline) its silence is no sign of death; a dead sender is still
   * caught at `untilMs`.
   */
  expectState(member: Member, untilMs: number): void {
    member.stateDueBy = untilMs;
  }

  stateArrived(member: Member): void {
    member.stateDueBy = undefined;
  }

  remove(member: Member): boolean {
    return this.members.delete(member.workerId);
  }

  /**
   * One heartbeat tick: the members silent for longer than `misses` intervals, with how long.
   * A tick that comes late by more than one interval means this coordinator was not listening.
   */
  silent(now: number): { member: Member; silentMs: number }[] {
    if (this.lastTick !== undefined && now - this.lastTick > 2 * this.heartbeatMs) this.listeningSince = now;
    this.lastTick = now;
    const limit = this.heartbeatMs * this.misses;
    const out: { member: Member; silentMs: number }[] = [];
    for (const member of this.members.values()) {
      if (member.stateDueBy !== undefined && now <= member.stateDueBy) continue;
      const silentMs = now - Math.max(member.lastSeen, this.listeningSince);
      if (silentMs > limit) out.push({ member, silentMs: now - member.lastSeen });
    }
    return out;
  }

  /**
   * The moment the first member would have been silent for `misses` intervals if nothing more is
   * heard, so the coordinator can tick right then instead of up to a tick later (the recovery
   * stall after a SIGKILL is counted from 3 heartbeats, bench/recovery.bench.mjs).
   */
  nextSilenceAt(): number | undefined {
    const limit = this.heartbeatMs * this.misses;
    let at: number | undefined;
    for (const member of this.members.values()) {
      const silentAt = Math.max(member.lastSeen, this.listeningSince) + limit;
      const due = member.stateDueBy === undefined ? silentAt : Math.max(silentAt, member.stateDueBy);
      if (at === undefined || due < at) at = due;
    }
    return at;
  }
}

function refuse(code: string, message: string): Admission {
  return { refused: { code, message } };
}
