import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createLogger } from '@awn/telemetry';
import { ProgressView } from './progress-view.js';

function terminal(): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  Object.assign(stream, {
    isTTY: true,
    columns: 200,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  return { stream, text: () => text };
}

const logger = createLogger({ name: 'test', destination: new PassThrough() });
const update = { epoch: 0, loss: 9.5, widths: [30, 20], samplesPerSecond: 100 };

test('the bar is drawn at the first completed step, not at start (workers may still be joining)', () => {
  const t = terminal();
  const view = new ProgressView(100, logger, { tty: true, stream: t.stream });
  view.start();
  assert.equal(t.text(), '', 'nothing drawn before a step completes');
  view.update({ ...update, step: 1, nll: 0.6931 });
  view.stop();
  assert.match(t.text(), /step 1\/100 \| nll 0\.6931 \| width 30·20 Σ50/);
  assert.match(t.text(), /ETA -/, 'no ETA guessed from the first (warm-up) step');
});

test('text runs show bits per byte, and the last validation score stays on the line', () => {
  const t = terminal();
  const view = new ProgressView(100, logger, { tty: true, stream: t.stream, text: true });
  view.update({ ...update, step: 1, nll: Math.LN2 * 3 });
  view.setValidation('bitsPerByte', 2.5);
  view.update({ ...update, step: 2, nll: Math.LN2 * 2 });
  view.stop();
  assert.match(t.text(), /3\.000 bits\/byte/);
  assert.match(t.text(), /2\.000 bits\/byte \| val 2\.500 bits\/byte/);
  assert.doesNotMatch(t.text(), /loss 9\.5/, 'the ELBO total is not the headline');
});
