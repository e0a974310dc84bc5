import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { Disposable, disposeAll } from '../../src/extension/dispose';

class Owner extends Disposable {
  own(d: { dispose(): void }) {
    return this._register(d);
  }
  get gone() {
    return this.isDisposed;
  }
}

describe('Disposable (src/extension/dispose.ts)', () => {
  test('disposes what it registered once, newest first; dispose is idempotent', () => {
    const log: string[] = [];
    const o = new Owner();
    const a = o.own({ dispose: () => log.push('a') });
    o.own({ dispose: () => log.push('b') });
    assert.equal(typeof a.dispose, 'function');
    assert.equal(o.gone, false);
    o.dispose();
    o.dispose();
    assert.deepEqual(log, ['b', 'a']);
    assert.equal(o.gone, true);
    o.own({ dispose: () => log.push('late') });
    assert.deepEqual(log, ['b', 'a', 'late']);
  });

  test('disposeAll disposes every one and rethrows the first error after', () => {
    const log: string[] = [];
    const boom = (m: string) => ({ dispose: () => { log.push(m); throw new Error(m); } });
    assert.throws(() => disposeAll([boom('x'), { dispose: () => log.push('y') }, boom('z')]), /^Error: x$/);
    assert.deepEqual(log, ['x', 'y', 'z']);
  });
});
