import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, resolveLogLevel, withContext } from './logger.js';

function sink(): Writable & { lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return Object.assign(stream, { lines });
}

test('JSON lines carry name, rank, generation and the child step', () => {
  const out = sink();
  const log = createLogger({ name: 'worker', rank: 3, generation: 2, pretty: false, destination: out, env: {} });
  withContext(log, { step: 17 }).info({ loss: 0.5 }, 'step done');
  assert.equal(out.lines.length, 1);
  const line = JSON.parse(out.lines[0]!);
  assert.equal(line.name, 'worker');
  assert.equal(line.rank, 3);
  assert.equal(line.generation, 2);
  assert.equal(line.step, 17);
  assert.equal(line.loss, 0.5);
  assert.equal(line.msg, 'step done');
});

test('level comes from the option, else AWN_LOG_LEVEL, else info', () => {
  assert.equal(resolveLogLevel(undefined, {}), 'info');
  assert.equal(resolveLogLevel(undefined, { AWN_LOG_LEVEL: 'DEBUG' }), 'debug');
  assert.equal(resolveLogLevel('warn', { AWN_LOG_LEVEL: 'debug' }), 'warn');
  assert.throws(
    () => resolveLogLevel(undefined, { AWN_LOG_LEVEL: 'verbose' }),
    /AWN_LOG_LEVEL='verbose' is not a log level/,
  );
  const out = sink();
  const log = createLogger({ name: 'c', pretty: false, destination: out, env: { AWN_LOG_LEVEL: 'warn' } });
  log.info('hidden');
  log.warn('shown');
  assert.deepEqual(
    out.lines.map((l) => JSON.parse(l).msg),
    ['shown'],
  );
});

test('secret-looking fields never reach the output', () => {
  const out = sink();
  const log = createLogger({ name: 'coordinator', pretty: false, destination: out, env: {} });
  const secret = 'Sup3rS3cretValue';
  log.info({ secret, key: secret, privateKey: secret, authToken: secret }, 'top level');
  log.info({ auth: { secret, secretKey: secret, authToken: secret }, peer: 'tcp://10.0.0.2:5555' }, 'nested');
  log.info({ config: { cluster: { privateKey: secret, key: secret } } }, 'deeper');
  withContext(log, { rank: 1 }).warn({ handshake: { authToken: secret } }, 'child');
  assert.equal(out.lines.length, 4);
  for (const l of out.lines) assert.ok(!l.includes(secret), l);
  const nested = JSON.parse(out.lines[1]!);
  assert.equal(nested.auth.secret, '[redacted]');
  assert.equal(nested.peer, 'tcp://10.0.0.2:5555');
});

test('pretty output is human-readable, not JSON, and still redacted', () => {
  const out = sink();
  const log = createLogger({ name: 'worker', rank: 0, pretty: true, destination: out, env: {} });
  log.info({ secret: 'Sup3rS3cretValue' }, 'hello pretty');
  const text = out.lines.join('\n');
  assert.match(text, /INFO/);
  assert.match(text, /hello pretty/);
  assert.ok(!text.includes('Sup3rS3cretValue'));
  assert.throws(() => JSON.parse(out.lines[0]!));
});
