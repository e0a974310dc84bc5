/** The Disposable base of the extension's objects: dispose once, the last registered first. */
import assert from 'node:assert/strict';
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

describe('Disposable', () => {
  test('disposes what it registered once, in reverse order', () => {
    const order: number[] = [];
    const o = new Owner();
    for (const i of [1, 2, 3]) o.own({ dispose: () => order.push(i) });
    assert.equal(o.gone, false);
    o.dispose();
    o.dispose();
    assert.deepEqual(order, [3, 2, 1]);
    assert.equal(o.gone, true);
  });

  test('registering after dispose disposes at once', () => {
    const o = new Owner();
    o.dispose();
    let n = 0;
    o.own({ dispose: () => n++ });
    assert.equal(n, 1);
  });

  test('disposeAll disposes every one, last first, even when one throws', () => {
    const order: string[] = [];
    const ds = [
      { dispose: () => order.push('a') },
      {
        dispose: () => {
          order.push('b');
          throw new Error('b failed');
        },
      },
      { dispose: () => order.push('c') },
    ];
    assert.throws(() => disposeAll(ds), /b failed/);
    assert.deepEqual(order, ['c', 'b', 'a']);
  });

  test('several failures are thrown together, after every one was disposed', () => {
    const log: string[] = [];
    const boom = (m: string) => ({
      dispose: () => {
        log.push(m);
        throw new Error(m);
      },
    });
    assert.throws(
      () => disposeAll([boom('x'), { dispose: () => log.push('y') }, boom('z')]),
      (e: unknown) => e instanceof AggregateError && e.errors.map((x: Error) => x.message).join() === 'z,x',
    );
    assert.deepEqual(log, ['z', 'y', 'x']);
  });
});
