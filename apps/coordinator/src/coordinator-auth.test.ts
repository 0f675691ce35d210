import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Dealer } from 'zeromq';
import { MessageCodec, withEnvelope, type Message, type WelcomeMessage } from '@awn/protocol';
import { parseRunConfig } from '@awn/core';
import { createLogger } from '@awn/telemetry';
import { Coordinator } from './coordinator.js';
import { RunFailedError } from './errors.js';

const config = parseRunConfig({ data: { dataset: 'doublemoon' }, training: { steps: 3, batchSize: 8 } });
const SECRET = 'a shared secret for these tests, 32+ chars';

/** Log lines the coordinator writes, as text. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ name: 'test', level: 'info', pretty: false, destination }), lines };
}

/** A worker holding (or not) the secret; it answers heartbeats with the run id they carry, as workers do. */
class Peer {
  readonly socket = new Dealer({ linger: 0, receiveTimeout: 1500 });
  readonly codec: MessageCodec;
  readonly heard: Message[] = [];
  constructor(address: string, secret?: string) {
    this.socket.connect(address);
    this.codec = new MessageCodec({ secret });
  }
  joinFrames(workerId: string): Buffer[] {
    const join = withEnvelope({ runId: '', generation: 0, step: 0, sender: -1 }, 'join', {
      workerId,
      host: 'h',
      pid: 1,
      dataAddress: `tcp://127.0.0.1:${workerId.length}`,
      configHash: 'none',
      backend: 'cpu',
    }) as Message;
    return this.codec.encode(join);
  }
  /** The next message that is not a heartbeat (answering heartbeats meanwhile); undefined on silence. */
  async next(): Promise<Message | undefined> {
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch {
        return undefined;
      }
      const m = this.codec.decode(frames).message;
      this.heard.push(m);
      if (m.type !== 'heartbeat') return m;
      const answer = withEnvelope({ runId: m.runId, generation: 0, step: 0, sender: -1 }, 'heartbeat', {
        sentAt: Date.now(),
      }) as Message;
      await this.socket.send(this.codec.encode(answer));
    }
  }
  close(): void {
    this.socket.close();
  }
}

describe('coordinator authentication', () => {
  const open: { close(): void }[] = [];
  afterEach(() => {
    for (const o of open.splice(0)) o.close();
  });

  async function start(extra: Partial<ConstructorParameters<typeof Coordinator>[0]> = {}) {
    const { logger, lines } = capturingLogger();
    // Heartbeats slow enough that no peer is declared lost while a loaded machine runs the test
    // (the challenge heartbeat of a join is sent at once, whatever the interval).
    const c = new Coordinator({ config, bind: 'tcp://127.0.0.1:0', workers: 1, logger, heartbeatMs: 60_000, ...extra });
    const address = await c.start();
    const outcome = c.run().catch((e: unknown) => e);
    const peer = (secret?: string) => {
      const p = new Peer(address, secret);
      open.push(p);
      return p;
    };
    return { c, lines, outcome, peer };
  }

  it('an unsigned join gets no answer at all, so the run id stays secret; a signed one is welcomed', async () => {
    const { c, peer } = await start({ secret: SECRET });
    const stranger = peer();
    await stranger.socket.send(stranger.joinFrames('stranger'));
    const forged = withEnvelope({ runId: c.runId, generation: 0, step: 0, sender: 0 }, 'error', {
      code: 'aborted',
      message: 'forged',
      ranks: [0],
      reporter: 0,
      fatal: true,
    }) as Message;
    await stranger.socket.send(stranger.codec.encode(forged));
    for (let i = 0; i < 100 && (c.dropped.get('bad-signature') ?? 0) < 2; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(c.dropped.get('bad-signature'), 2);
    const member = peer(SECRET);
    await member.socket.send(member.joinFrames('member'));
    const welcome = (await member.next()) as WelcomeMessage;
    assert.equal(welcome.type, 'welcome');
    assert.equal(await stranger.next(), undefined, 'nothing was ever sent to the unauthenticated peer');
    c.abort(new RunFailedError('test over'));
  });

  it('without a secret, a refusal does not carry the run id either', async () => {
    const { c, peer } = await start();
    const p = peer();
    const wrong = withEnvelope({ runId: 'guess', generation: 0, step: 0, sender: -1 }, 'join', {
      workerId: 'x',
      host: 'h',
      pid: 1,
      dataAddress: 'tcp://127.0.0.1:1',
      configHash: 'none',
      backend: 'cpu',
    }) as Message;
    await p.socket.send(p.codec.encode(wrong));
    const refusal = await p.next();
    assert.equal(refusal?.type, 'error');
    assert.equal(refusal?.runId, '');
    assert.ok(!JSON.stringify(refusal).includes(c.runId), JSON.stringify(refusal));
    c.abort(new RunFailedError('test over'));
  });

  it('a signed join replayed from an earlier run never takes a place: the real worker gets rank 0', async () => {
    const earlier = await start({ secret: SECRET });
    const victim = earlier.peer(SECRET);
    const captured = victim.joinFrames('victim');
    await victim.socket.send(captured);
    assert.equal((await victim.next())?.type, 'welcome');
    earlier.c.abort(new RunFailedError('earlier run over'));
    await earlier.outcome;

    const { c, peer } = await start({ secret: SECRET });
    const attacker = peer();
    await attacker.socket.send(captured);
    const real = peer(SECRET);
    await real.socket.send(real.joinFrames('real'));
    const welcome = (await real.next()) as WelcomeMessage;
    assert.equal(welcome.type, 'welcome');
    assert.deepEqual([welcome.workerId, welcome.rank, welcome.worldSize], ['real', 0, 1]);
    assert.notEqual(welcome.runId, '');
    c.abort(new RunFailedError('test over'));
  });

  it('a flood of junk is counted in full but logged in a few lines', async () => {
    const { c, lines, peer } = await start({ secret: SECRET });
    const p = peer();
    for (let i = 0; i < 3000; i++) await p.socket.send([Buffer.from(`junk ${i}`)]);
    for (let i = 0; i < 500 && (c.dropped.get('bad-signature') ?? 0) < 3000; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(c.dropped.get('bad-signature'), 3000);
    c.abort(new RunFailedError('test over'));
    await c.run().catch(() => undefined);
    const dropLines = lines.filter((l) => l.includes('dropped'));
    assert.ok(dropLines.length <= 6, `${dropLines.length} lines:\n${dropLines.join('\n')}`);
    assert.match(dropLines.at(-1)!, /dropped 2995 more bad-signature messages/);
  });

  it('a frame above the frame limit is refused by the socket before it is buffered or decoded', async () => {
    const { c, peer } = await start();
    const big = peer();
    await big.socket.send([Buffer.alloc(16 * 1024 * 1024 + 1)]);
    // A small junk message on another connection shows the reader got past the big one.
    const probe = peer();
    await probe.socket.send([Buffer.from('junk')]);
    for (let i = 0; i < 200 && (c.dropped.get('malformed') ?? 0) === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(c.dropped.get('malformed'), 1);
    assert.equal(c.dropped.get('oversize'), undefined, 'the oversize frame never reached the decoder');
    c.abort(new RunFailedError('test over'));
  });
});
