import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Dealer } from 'zeromq';
import { encode as packMsgpack } from 'msgpackr';
import {
  MessageCodec,
  withEnvelope,
  widthHash,
  type Message,
  type MessageBody,
  type MessageType,
  type WelcomeMessage,
} from '@awn/protocol';
import { parseRunConfig } from '@awn/core';
import { createLogger } from '@awn/telemetry';
import { Coordinator } from './coordinator.js';
import { RunFailedError } from './errors.js';

const config = parseRunConfig({ data: { dataset: 'doublemoon' }, training: { steps: 3, batchSize: 8 } });
const logger = createLogger({ name: 'test', level: 'silent' });

/** A hand-driven worker: a DEALER speaking the protocol, so tests can misbehave on purpose. */
class FakeWorker {
  // A receive waits long (a loaded machine is slow, not broken); a missing message still ends in an error.
  readonly socket = new Dealer({ linger: 0, receiveTimeout: 60_000 });
  readonly codec = new MessageCodec();
  runId = '';
  constructor(address: string) {
    this.socket.connect(address);
  }
  async send<T extends MessageType>(
    type: T,
    body: Omit<MessageBody<T>, 'type'>,
    envelope: Partial<{ runId: string; step: number; sender: number; generation: number }> = {},
  ): Promise<void> {
    const m = withEnvelope(
      { runId: this.runId, generation: 0, step: 0, sender: -1, ...envelope },
      type,
      body,
    ) as Message;
    await this.socket.send(this.codec.encode(m));
  }
  async join(id: string, configHash = 'none'): Promise<void> {
    await this.send('join', {
      workerId: id,
      host: 'test',
      pid: 1,
      dataAddress: 'tcp://127.0.0.1:1',
      configHash,
      backend: 'cpu',
    });
  }
  async receive(): Promise<Message> {
    for (;;) {
      const m = this.codec.decode(await this.socket.receive()).message;
      if (m.type !== 'heartbeat') return m;
    }
  }
  close(): void {
    this.socket.close();
  }
}

describe('coordinator', () => {
  const open: { close(): void }[] = [];
  afterEach(() => {
    for (const o of open.splice(0)) o.close();
  });

  async function start(
    workers: number,
    extra: Partial<ConstructorParameters<typeof Coordinator>[0]> = {},
  ): Promise<{ c: Coordinator; address: string; outcome: Promise<unknown> }> {
    // Heartbeats slow enough that a fake worker (which never answers them) is not declared lost
    // while a loaded machine runs the test; the liveness test sets its own.
    const c = new Coordinator({ config, bind: 'tcp://127.0.0.1:0', workers, logger, heartbeatMs: 60_000, ...extra });
    const address = await c.start();
    const outcome = c.run().then(
      (v) => v,
      (e: unknown) => e,
    );
    return { c, address, outcome };
  }

  function worker(address: string): FakeWorker {
    const w = new FakeWorker(address);
    open.push(w);
    return w;
  }

  it('admits workers, assigns ranks in join order and sends the ring and config', async () => {
    const { c, address } = await start(2);
    const a = worker(address);
    const b = worker(address);
    await a.join('a');
    await new Promise((r) => setTimeout(r, 50));
    await b.join('b');
    const [wa, wb] = (await Promise.all([a.receive(), b.receive()])) as WelcomeMessage[];
    assert.equal(wa.type, 'welcome');
    assert.deepEqual([wa.rank, wb.rank], [0, 1]);
    assert.equal(wa.worldSize, 2);
    assert.deepEqual(wa.peers, ['tcp://127.0.0.1:1', 'tcp://127.0.0.1:1']);
    assert.equal(wa.runId, c.runId);
    assert.equal((wa.config as { training: { steps: number } }).training.steps, 3);
    c.abort(new RunFailedError('test over'));
  });

  it('refuses a wrong run id, a different config, a duplicate id and a join once full, with clear errors', async () => {
    const { c, address } = await start(1);
    const w = worker(address);
    await w.send(
      'join',
      { workerId: 'x', host: 'h', pid: 1, dataAddress: 'tcp://127.0.0.1:1', configHash: 'none', backend: 'cpu' },
      { runId: 'other-run' },
    );
    let m = await w.receive();
    assert.equal(m.type, 'error');
    assert.match((m as { message: string }).message, /belongs to run other-run/);
    await w.join('y', 'f'.repeat(64));
    m = await w.receive();
    assert.match((m as { message: string }).message, /config hash/);
    await w.join('z');
    assert.equal((await w.receive()).type, 'welcome');
    const late = worker(address);
    await late.join('late');
    m = await late.receive();
    assert.equal((m as { code: string }).code, 'run-full');
    c.abort(new RunFailedError('test over'));
  });

  it('drops malformed, oversize and wrong-version messages, counts them, and keeps serving', async () => {
    const { c, address } = await start(1);
    const w = worker(address);
    await w.socket.send([Buffer.from('not msgpack at all')]);
    await w.socket.send([
      packMsgpack({ version: 99, runId: '', generation: 0, step: 0, sender: -1, type: 'join', tensors: [] }),
    ]);
    await w.socket.send([Buffer.alloc(5 * 1024 * 1024, 1)]);
    for (let i = 0; i < 200; i++)
      await w.socket.send([Buffer.from(Array.from({ length: 1 + (i % 40) }, (_, k) => (k * 37 + i * 11) & 0xff))]);
    await w.join('ok');
    assert.equal((await w.receive()).type, 'welcome', 'the coordinator still answers');
    const codes = [...c.dropped.keys()];
    assert.ok(codes.includes('malformed'), codes.join());
    assert.ok(codes.includes('version-mismatch'), codes.join());
    assert.ok([...c.dropped.values()].reduce((a, b) => a + b, 0) >= 202);
    c.abort(new RunFailedError('test over'));
  });

  it('aborts naming the ranks when their width hashes disagree after a step', async () => {
    const { address, outcome } = await start(2);
    const a = worker(address);
    const b = worker(address);
    await a.join('a');
    await new Promise((r) => setTimeout(r, 30));
    await b.join('b');
    const [wa, wb] = (await Promise.all([a.receive(), b.receive()])) as WelcomeMessage[];
    const report = (w: FakeWorker, welcome: WelcomeMessage, widths: number[]) => {
      w.runId = welcome.runId;
      return w.send(
        'step-done',
        {
          widthHash: widthHash(widths),
          samples: 4,
          loss: 1,
          timings: { computeMs: 1, allreduceMs: 1, updateMs: 1, totalMs: 3 },
          epoch: 0,
          widths,
          rates: [0.01],
          lossTerms: { nll: 1, weightPrior: 0, ratePrior: 0 },
          widthChanges: 0,
        },
        { runId: welcome.runId, step: 1, sender: welcome.rank },
      );
    };
    await report(a, wa, [10, 10]);
    await report(b, wb, [10, 11]);
    const error = await outcome;
    assert.ok(error instanceof RunFailedError);
    assert.match(error.message, /ranks disagree on the widths after step 1/);
    assert.deepEqual([...error.ranks].sort(), [0, 1]);
    const shutdown = await a.receive();
    assert.equal(shutdown.type, 'shutdown');
    assert.equal((shutdown as { exitCode: number }).exitCode, 1);
  });

  it('a worker that joins and then never answers is declared dead within the liveness window', async () => {
    const { address, outcome } = await start(1, { heartbeatMs: 100, livenessMisses: 3 });
    const w = worker(address);
    await w.join('silent');
    assert.equal((await w.receive()).type, 'welcome');
    const error = await outcome;
    assert.ok(error instanceof RunFailedError);
    assert.match(error.message, /rank 0 \(silent\) missed 3 heartbeats/);
    assert.deepEqual(error.ranks, [0]);
  });

  it('gives up when not every worker joins in time', async () => {
    const { outcome } = await start(2, { joinTimeoutMs: 300 });
    const error = await outcome;
    assert.ok(error instanceof RunFailedError);
    assert.match(error.message, /only 0 of 2 workers joined within 0.3 s/);
  });
});
