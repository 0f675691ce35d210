/**
 * The worker's control thread: the DEALER to the coordinator and the heartbeat, on a thread and
 * ZeroMQ context of their own. A training step is synchronous tfjs work that holds the main
 * thread for as long as it takes (seconds to minutes for a large model); here nothing waits for
 * it, so heartbeats leave on time and the coordinator's silence is noticed on time whatever the
 * step does. Only a process that is really gone or frozen (SIGKILL, SIGSTOP) goes silent.
 *
 * Why the control channel moves rather than the compute: the model, the tfjs backend (wasm or
 * the native addon), the data pipeline and the ring's sockets all live on the main thread and are
 * used every step; the control channel is one socket and a timer, and what crosses the thread
 * boundary (control messages, one checkpoint now and then) is small and rare.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Context } from 'zeromq';
import { withEnvelope, type EnvelopeContext, type Message } from '@awn/protocol';
import { DEALER_LINGER_MS, DealerChannel } from './dealer-channel.js';
import { LIVENESS_MISSES } from './control-session.js';
import type { ControlThreadInit, FromControl, ToControl } from './thread-messages.js';

const port = parentPort!;
const REAPER_GRACE_MS = 200;
const init = workerData as ControlThreadInit;
const post = (m: FromControl) => port.postMessage(m);

let lastHeard = performance.now();
let context: EnvelopeContext = { runId: '', generation: 0, step: 0, sender: -1 };
let heartbeat: NodeJS.Timeout | undefined;
let lost = false;
// Until then the coordinator's silence does not count: it is taking in (copying, verifying) a
// training state of up to gigabytes and answers nobody meanwhile; a dead coordinator is still
// noticed once this passes.
let quietUntil = 0;

const channel = new DealerChannel(init.address, {
  secret: init.secret,
  curve: init.curve,
  context: new Context(),
  onMessage: (decoded) => {
    lastHeard = performance.now();
    // Admitted but not yet welcomed (the run waits for the other workers): answer the
    // coordinator's heartbeats so it can tell a waiting worker from a dead one.
    // (The coordinator heartbeats only workers it admitted, so its run id is the one to answer with.)
    if (heartbeat === undefined && decoded.message.type === 'heartbeat') {
      if (context.runId === '') context = { ...context, runId: decoded.message.runId };
      // Its heartbeats say how often to expect one: from now on its silence counts, so a
      // coordinator lost while this worker waits for the others is noticed within three of them
      // (the welcome restarts the heartbeat at the same interval).
      const intervalMs = decoded.message.intervalMs;
      if (intervalMs !== undefined) startHeartbeat(intervalMs, LIVENESS_MISSES);
      sendHeartbeat();
    }
    post({ kind: 'message', decoded });
  },
  onDrop: (e) => post({ kind: 'drop', code: e.code, message: e.message }),
});

port.on('message', (m: ToControl) => {
  switch (m.kind) {
    case 'send':
      void channel.send(m.message, m.tensors);
      return;
    case 'pin':
      channel.pinRun(m.runId);
      return;
    case 'context':
      context = m.context;
      return;
    case 'expect-quiet':
      quietUntil = Math.max(quietUntil, performance.now() + m.forMs);
      return;
    case 'heartbeat':
      startHeartbeat(m.intervalMs, m.misses);
      return;
    case 'close': {
      clearInterval(heartbeat);
      const discard = m.discard || lost;
      void channel.close(discard).then(() => {
        post({ kind: 'closed' });
        // libzmq closes a socket asynchronously: its threads keep the queued messages, which
        // point into this thread's memory, for up to the linger time. A thread torn down before
        // they are released corrupted the heap at exit (zeromq.js issue 411, "ZeroMQ doesn't exit
        // cleanly within a worker_thread"), so it outlives the linger.
        setTimeout(() => port.close(), (discard ? 0 : DEALER_LINGER_MS) + REAPER_GRACE_MS);
      });
    }
  }
});

function startHeartbeat(intervalMs: number, misses: number): void {
  clearInterval(heartbeat);
  lastHeard = performance.now();
  let lastTick = performance.now();
  heartbeat = setInterval(() => {
    sendHeartbeat();
    const now = performance.now();
    // A tick this late means this process was not running (starved, stopped): what the
    // coordinator sent meanwhile is still unread, so its silence counts from now.
    if (now - lastTick > 2 * intervalMs) lastHeard = Math.max(lastHeard, now);
    lastTick = now;
    const silent = now - lastHeard;
    if (!lost && silent > intervalMs * misses && now > quietUntil) {
      lost = true;
      post({ kind: 'coordinator-lost', silentMs: silent });
    }
  }, intervalMs);
}

function sendHeartbeat(): void {
  void channel.send(withEnvelope(context, 'heartbeat', { sentAt: Date.now() }) as Message);
}
