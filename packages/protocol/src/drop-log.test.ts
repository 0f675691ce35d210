import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DropLog } from './drop-log.js';

describe('DropLog', () => {
  it('a flood of 10,000 drops writes a bounded number of lines and counts every one', () => {
    const lines: string[] = [];
    const log = new DropLog((_f, line) => lines.push(line), 10_000, 5);
    for (let i = 0; i < 10_000; i++) log.record(i % 2 ? 'malformed' : 'bad-signature', 'junk', {}, i);
    log.flush(10_000, true);
    assert.equal(log.counts.get('malformed'), 5000);
    assert.equal(log.counts.get('bad-signature'), 5000);
    // 5 per code and window, then one summary per code: 12 lines for 10,000 drops.
    assert.equal(lines.length, 12);
    assert.match(lines.at(-1)!, /dropped 4995 more (malformed|bad-signature) messages .*\(5000 in all\)/);
  });

  it('logs again once the interval is over, with the summary of the one before', () => {
    const lines: string[] = [];
    const log = new DropLog((_f, line) => lines.push(line), 1000, 1);
    log.record('oversize', 'a', {}, 0);
    log.record('oversize', 'b', {}, 10);
    log.record('oversize', 'c', {}, 2000);
    assert.deepEqual(lines, ['a', 'dropped 1 more oversize messages without logging each (2 in all)', 'c']);
  });
});
