import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WidthCapWatch, widthCapWarning } from './width-cap.js';

describe('WidthCapWatch', () => {
  it('reports a layer once when it reaches maxWidth and once when it leaves', () => {
    const watch = new WidthCapWatch();
    assert.deepEqual(watch.update([]), { reached: [], left: [] });
    assert.deepEqual(watch.update([1]), { reached: [1], left: [] });
    assert.deepEqual(watch.update([1]), { reached: [], left: [] });
    assert.deepEqual(watch.update([0, 1]), { reached: [0], left: [] });
    assert.deepEqual(watch.update([0]), { reached: [], left: [1] });
    assert.deepEqual(watch.update([]), { reached: [], left: [0] });
  });

  it('the warning names each layer with its width and rate and what to check', () => {
    const text = widthCapWarning([1], [40, 4096], [0.05, 3.4e-6]);
    assert.match(text, /layer 1 \(width 4096, rate 3\.40e-6\) at model\.maxWidth/);
    assert.match(text, /loss\.weightPriorStd, loss\.nObservations and model\.minRate/);
    assert.doesNotMatch(text, /layer 0/);
  });
});
