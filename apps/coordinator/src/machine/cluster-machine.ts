import {
  tensorToArray,
  withEnvelope,
  type DecodedMessage,
  type JoinMessage,
  type Message,
  type StepDoneMessage,
} from '@awn/protocol';
import { RunFailedError } from '../errors.js';
import type { Member } from './membership.js';
import { RingState, type Command, type PulledState } from './ring-state.js';

export type { Command, PulledState, RunPhase } from './ring-state.js';

/**
 * The coordinator's decisions, without sockets or timers: events come in (a message from a
 * member, a heartbeat tick, a checkpoint written, a stop request) and commands go out (messages
 * to send, steps completed, the run's end). It composes membership (admission and liveness), the
 * ring plan of each generation and the step ledger (completed steps and the progress watchdog).
 * A lost worker re-forms the ring with the survivors, which are told at once so they abort their
 * pending collective, as long as `minWorkers` remain; below that the run waits for rejoins; with
 * `minWorkers` = `workers` (the default) any loss ends the run.
 */
export class ClusterMachine extends RingState {
  /** A decoded control message from `peer`. */
  receive(peer: Buffer, decoded: DecodedMessage, now: number): Command[] {
    const { message } = decoded;
    if (message.type === 'join') this.admit(peer, message, now);
    else if (message.runId !== this.runId) this.drop('run-id-mismatch', `message for run ${message.runId}`, peer);
    else {
      const member = this.membership.byPeer(peer);
      if (!member) this.drop('unexpected-sender', `${message.type} from a peer that never joined`, peer);
      else {
        this.membership.heard(member, now);
        if (!member.confirmed) this.confirm(member, now);
        if (message.type === 'step-done') this.stepDone(member, message, now);
        else if (message.type === 'state') this.state(member, decoded);
        else if (message.type === 'error') this.workerError(member, message, now);
        else if (message.type !== 'heartbeat')
          this.drop('unexpected-type', `unexpected ${message.type} from rank ${member.rank}`, peer);
      }
    }
    return this.take();
  }

  /** When a member turns silent for good unless heard before (undefined once the run ended). */
  nextSilenceAt(): number | undefined {
    return this.ended || this.phase === 'writing' ? undefined : this.membership.nextSilenceAt();
  }

  /** A tick (ten per heartbeat): heartbeats out, silent members lost, the rejoin and stall deadlines. */
  tick(now: number): Command[] {
    // Once released with the final state in, the workers are gone: nobody left to watch.
    if (this.ended || this.phase === 'writing') return this.take();
    if (now - this.lastHeartbeat >= this.options.heartbeatMs * 0.9) {
      this.lastHeartbeat = now;
      for (const m of this.membership.all()) this.heartbeat(m);
    }
    for (const { member, silentMs } of this.membership.silent(now)) {
      this.lose(
        member,
        `missed ${this.membership.misses} heartbeats (${(silentMs / 1000).toFixed(1)} s silent): it died or hangs`,
        now,
      );
      if (this.ended) return this.take();
    }
    const rejoinMs = this.options.rejoinTimeoutMs ?? 60_000;
    if (this.phase === 'degraded' && now - this.degradedSince > rejoinMs) {
      const error = new RunFailedError(
        `only ${this.membership.size} workers left (minimum ${this.options.minWorkers}) and none rejoined within ${rejoinMs / 1000} s`,
      );
      if (this.salvaging || this.membership.size === 0) this.fail(this.salvaging?.error ?? error);
      else this.salvage(error, now);
    }
    if (this.salvaging && now > this.salvaging.until) {
      this.options.logger.error(
        `the survivors' state did not arrive in time: nothing saved beyond the last checkpoint`,
      );
      this.fail(this.salvaging.error);
    }
    // Progress, apart from liveness: every member answers, yet no step completes.
    const stall =
      this.phase === 'training' && !this.stopRequested && this.ledger.lastCompleted < this.options.config.training.steps
        ? this.ledger.stalled(now)
        : undefined;
    if (stall) {
      const ranks = this.byRank.filter((m) => this.membership.has(m)).map((m) => m.rank);
      this.fail(
        new RunFailedError(
          `no step completed for ${(stall.silentMs / 1000).toFixed(1)} s although every worker answers heartbeats: the ring stalls (deadline ${stall.rule}; --stall-timeout sets the floor)`,
          ranks,
        ),
      );
    }
    return this.take();
  }

  /**
   * Too few workers to go on: the survivors still hold every step since the last checkpoint in
   * memory, so they form one last ring, stop at a step they agree on and rank 0 sends its state,
   * which is written as a checkpoint before the run fails (checkpointWritten).
   */
  private salvage(error: RunFailedError, now: number): void {
    this.options.logger.warn(
      { survivors: this.membership.size },
      `${error.message}: saving the survivors' state before stopping`,
    );
    this.salvaging = { error, until: now + this.options.stallFloorMs + this.stateTransferMs };
    this.formRing('saving the survivors’ state', now);
    this.stopRequested = true;
    for (const m of this.inRing()) this.send(m, 'stop', { reason: 'saving the survivors’ state before the run fails' });
  }

  /** Not every worker joined in time. */
  joinTimedOut(joinTimeoutMs: number): Command[] {
    if (this.phase === 'admitting')
      this.fail(
        new RunFailedError(
          `only ${this.membership.size} of ${this.options.workers} workers joined within ${joinTimeoutMs / 1000} s`,
        ),
      );
    return this.take();
  }

  /** Asks the ring to stop after the step its ranks agree on next. */
  requestStop(): Command[] {
    this.stopRequested = true;
    for (const m of this.inRing()) this.send(m, 'stop', { reason: 'stop requested' });
    return this.take();
  }

  /** Ends the run with `error`: every worker is told to exit. */
  abort(error: RunFailedError): Command[] {
    this.fail(error);
    return this.take();
  }

  /** A checkpoint was written (or could not be). */
  checkpointWritten(state: PulledState, error?: unknown): Command[] {
    if (error !== undefined)
      this.fail(
        new RunFailedError(
          `cannot write the checkpoint of step ${state.step}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    else if (state.final && this.salvaging && !this.ended) {
      this.salvaged = state;
      this.fail(this.salvaging.error);
    } else if (state.final && this.phase === 'writing') {
      this.phase = 'ended';
      this.out.push({ kind: 'finish', state });
    }
    return this.take();
  }

  /** With a secret, a worker joining before the run starts must answer a heartbeat first. */
  private get challenges(): boolean {
    return this.options.secret !== undefined && this.phase === 'admitting';
  }

  /** `member` answered with a message signed for this run: it counts now. */
  private confirm(member: Member, now: number): void {
    member.confirmed = true;
    this.options.logger.info(
      { workerId: member.workerId },
      `worker confirmed (${this.membership.confirmed}/${this.options.workers})`,
    );
    if (this.phase !== 'admitting' || this.membership.confirmed < this.options.workers) return;
    for (const m of this.membership.all())
      if (!m.confirmed) {
        // Verified, never answered: a replayed join, or a worker too late for this run.
        this.options.logger.warn({ workerId: m.workerId }, `dropping worker ${m.workerId}: it never answered`);
        this.membership.remove(m);
        this.send(m, 'evict', { rank: 0, workerId: m.workerId, reason: 'never answered its heartbeat' });
      }
    this.startRun(now);
  }

  private admit(peer: Buffer, join: JoinMessage, now: number): void {
    const challenge = this.challenges;
    const admission = this.membership.admit(peer, join, now, this.ended, challenge);
    if ('refused' in admission) {
      const { code, message } = admission.refused;
      this.options.logger.warn({ code }, `refused a worker: ${message}`);
      // Not admitted, so not trusted with the run id: the refusal carries none.
      const refusal = withEnvelope({ runId: '', generation: 0, step: 0, sender: -1 }, 'error', {
        code,
        message,
        ranks: [],
        reporter: -1,
        fatal: true,
      }) as Message;
      this.out.push({ kind: 'send', peer, message: refusal, tensors: [] });
      return;
    }
    const size = this.membership.size;
    this.options.logger.info(
      { workerId: join.workerId, host: join.host, pid: join.pid },
      `worker joined (${size}/${this.options.workers})`,
    );
    if (this.phase === 'admitting') {
      // With a secret: a challenge, which only a holder of the run's key can answer. It also
      // tells the waiting worker how often to expect a heartbeat, so it notices a lost
      // coordinator within three of them while it waits for the others.
      if (challenge) return this.heartbeat({ peer });
      if (size >= this.options.workers) this.startRun(now);
      return;
    }
    // A new or returning worker enters at the next generation; the running ring stops at a step
    // its ranks agree on and every rank, the newcomer included, continues from the root's state.
    if (this.phase === 'training' || size >= this.options.minWorkers)
      this.formRing(`worker ${join.workerId} joined`, now);
  }

  /** A worker is gone (died, hung, evicted): re-form the ring with the survivors or end the run. */
  private lose(member: Member, reason: string, now: number): void {
    if (this.ended || !this.membership.remove(member)) return;
    this.lost.push(member.workerId);
    const who = member.rank >= 0 ? `rank ${member.rank} (${member.workerId})` : `worker ${member.workerId}`;
    // The lost worker, if alive after all (stalled, partitioned), must not rejoin this ring
    // silently; its ring peers learn at once that their pending collective can never complete.
    const evict = { rank: Math.max(member.rank, 0), workerId: member.workerId, reason };
    this.send(member, 'evict', evict);
    if (member.rank >= 0) for (const m of this.inRing()) this.send(m, 'evict', evict);
    if (this.phase === 'admitting') {
      this.options.logger.warn({ workerId: member.workerId }, `${who} left before the run started: ${reason}`);
      return;
    }
    if (this.options.minWorkers === this.options.workers)
      return this.fail(new RunFailedError(`${who} ${reason}`, member.rank >= 0 ? [member.rank] : []));
    this.options.logger.warn({ workerId: member.workerId, rank: member.rank }, `lost ${who}: ${reason}`);
    if (this.membership.size >= this.options.minWorkers) {
      this.formRing(`lost ${who}`, now);
    } else if (this.phase !== 'degraded') {
      this.phase = 'degraded';
      this.degradedSince = now;
      this.options.logger.warn(
        { alive: this.membership.size, minWorkers: this.options.minWorkers },
        `waiting up to ${(this.options.rejoinTimeoutMs ?? 60_000) / 1000} s for workers to (re)join`,
      );
    }
  }

  private workerError(
    member: Member,
    message: { code: string; message: string; ranks: readonly number[]; fatal: boolean; generation: number },
    now: number,
  ): void {
    if (message.generation < this.generation) return; // about a ring that no longer exists
    const recoverable =
      !message.fatal && (message.code === 'timeout' || message.code === 'aborted' || message.code === 'closed');
    if (!recoverable || this.options.minWorkers === this.options.workers) {
      return this.fail(
        new RunFailedError(
          `rank ${member.rank} (${member.workerId}) reported ${message.code}: ${message.message}`,
          message.ranks.length ? message.ranks : [member.rank],
        ),
      );
    }
    // The reporting rank names the culprit first; dropping it now beats waiting for heartbeats.
    const culprit = this.inRing().find((m) => m.rank === message.ranks[0]);
    if (culprit && culprit !== member) this.lose(culprit, `was blamed by rank ${member.rank}: ${message.message}`, now);
  }

  private stepDone(member: Member, report: StepDoneMessage, now: number): void {
    if (report.generation <= this.generation) member.completed = Math.max(member.completed, report.step);
    // Rank 0 follows a checkpoint step, the last step and a requested stop with its state (see
    // worker/src/train-generation.ts sendState): its heartbeats queue behind those bytes.
    const every = this.options.config.training.checkpointEvery;
    const sendsState =
      report.step === this.options.config.training.steps ||
      (every > 0 && report.step % every === 0) ||
      this.stopRequested;
    if (member.rank === 0 && sendsState) this.membership.expectState(member, now + this.stateTransferMs);
    const outcome = this.ledger.report(report, now);
    if (outcome.kind === 'disagree') this.fail(new RunFailedError(outcome.message, outcome.ranks));
    else if (outcome.kind === 'step') this.out.push({ kind: 'step', progress: outcome.progress });
  }

  private state(member: Member, decoded: DecodedMessage): void {
    if (member.rank !== 0 || decoded.message.generation !== this.generation)
      return this.drop(
        'unexpected-sender',
        `state from rank ${member.rank} of generation ${decoded.message.generation}`,
        member.peer,
      );
    const tensor = decoded.tensors[0];
    if (tensor?.descriptor.dtype !== 'uint8')
      return this.drop('malformed', 'state without a uint8 payload', member.peer);
    this.membership.stateArrived(member);
    const final = decoded.message.type === 'state' && decoded.message.final;
    if (final && !this.salvaging && !this.ended) {
      // The final state is in, intact (signed, and checksummed again by the writer): the workers'
      // part is done. Released now, not after the write: a 1.2 GB state takes this thread and the
      // writer a minute (examples/large.json), longer than the workers excuse the silence of a
      // coordinator that is taking it in. A write that fails still fails the run.
      this.phase = 'writing';
      for (const m of this.inRing()) this.send(m, 'shutdown', { reason: 'run complete', exitCode: 0 });
    }
    // Out of ZeroMQ's frames before the async write: a state in several frames is already a
    // fresh concatenated array (a second copy of gigabytes kept this thread from heartbeating).
    const array = tensorToArray(tensor) as Uint8Array;
    const bytes = tensor.frames.length === 1 ? new Uint8Array(array) : array;
    this.out.push({ kind: 'checkpoint', state: { step: decoded.message.step, bytes, final } });
  }
}
