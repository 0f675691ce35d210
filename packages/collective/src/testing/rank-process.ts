/**
 * One rank of a multi-process test, run as its own Node process: binds an endpoint on a free
 * port, reports the address, receives its rank, peers and a list of collectives over IPC, runs
 * them, reports each outcome and exits. Inputs are derived from seeds, so the parent can compute
 * what every rank must end with.
 */
import { Communicator } from '../communicator.js';
import { RingEndpoint } from '../endpoint.js';
import { CollectiveError, CollectiveTimeoutError } from '../errors.js';
import {
  type ChildMessage,
  digest,
  type OpOutcome,
  type ParentMessage,
  type RankOp,
  rankBytes,
  rankInput,
  type RankSetup,
} from './data.js';

const setup = JSON.parse(process.argv[2] ?? '{}') as RankSetup;

function post(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

async function runOp(comm: Communicator, rank: number, op: RankOp): Promise<OpOutcome> {
  switch (op.op) {
    case 'allreduce': {
      const buffer = rankInput(op.seed, rank, op.length);
      const options = { step: op.step, bucketId: op.bucketId, widthHash: op.widthHash, deadlineMs: op.deadlineMs };
      if (op.weight === undefined) await comm.allReduce(buffer, options);
      else await comm.allReduceMean(buffer, op.weight, options);
      return {
        ok: true,
        digest: digest(buffer),
        head: Array.from(buffer.subarray(0, 4)),
        ...(op.values ? { values: Array.from(buffer) } : {}),
      };
    }
    case 'broadcast': {
      const buffers = rank === op.root ? op.sizes.map((size, i) => rankBytes(op.seed + i, size)) : null;
      const out = await comm.broadcast(buffers, { root: op.root, step: op.step, deadlineMs: op.deadlineMs });
      return { ok: true, digest: digest(out), head: out.map((b) => b.byteLength) };
    }
    case 'barrier':
      await comm.barrier({ step: op.step, deadlineMs: op.deadlineMs });
      return { ok: true };
    case 'hang':
      return new Promise<OpOutcome>(() => undefined);
  }
}

function describeError(error: unknown): NonNullable<OpOutcome['error']> {
  if (error instanceof CollectiveError) {
    return {
      name: error.name,
      code: error.code,
      message: error.message,
      ranks: [...error.ranks],
      ...(error instanceof CollectiveTimeoutError ? { peer: error.peer } : {}),
    };
  }
  return {
    name: error instanceof Error ? error.name : 'unknown',
    code: 'unexpected',
    message: String(error),
    ranks: [],
  };
}

async function main(): Promise<void> {
  const endpoint = await RingEndpoint.bind('tcp://127.0.0.1:*', {
    runId: setup.runId,
    secret: setup.secret,
    ipcTwin: setup.ipc,
  });
  const started = new Promise<ParentMessage>((resolve) => process.once('message', (m) => resolve(m as ParentMessage)));
  await post({ kind: 'bound', address: endpoint.address });
  const { rank, worldSize, peers, ops } = await started;
  const comm = await Communicator.create({
    rank,
    worldSize,
    peers,
    endpoint,
    generation: setup.generation,
    runId: setup.runId,
    secret: setup.secret,
    chunkBytes: setup.chunkBytes,
    preferIpc: setup.ipc,
    deadlineMs: setup.deadlineMs,
  });
  await post({ kind: 'started' });
  for (const [index, op] of ops.entries()) {
    let outcome: OpOutcome;
    const before = process.memoryUsage.rss();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
    try {
      outcome = await runOp(comm, rank, op);
      outcome = { ...outcome, rssGrowth: Math.max(peak, process.memoryUsage.rss()) - before };
    } catch (error) {
      outcome = { ok: false, error: describeError(error) };
    } finally {
      clearInterval(sampler);
    }
    await post({ kind: 'result', index, outcome });
    if (!outcome.ok) break;
  }
  const counters = comm.counters;
  await comm.close();
  endpoint.close();
  await post({ kind: 'done', counters });
  process.disconnect();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(70);
});
