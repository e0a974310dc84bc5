/**
 * The word diff: applying the edit script to A gives B, on random and adversarial inputs, and the
 * script is minimal (checked against a plain LCS table on small inputs).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyDiff, chainDiffStats, diffChains, diffTokens, diffWords, tokenize } from '../../src/core/compare/diff';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

/** Tokens changed (inserted + deleted) by a minimal script: n + m - 2·LCS. */
function minimalChanges(a: string[], b: string[]): number {
  const dp = Array.from({ length: a.length + 1 }, () => new Int32Array(b.length + 1));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) dp[i][j] = a[i - 1] === b[j - 1] ? dp[i - 1][j - 1] + 1 : Math.max(dp[i - 1][j], dp[i][j - 1]);
  return a.length + b.length - 2 * dp[a.length][b.length];
}

function changed(ops: ReturnType<typeof diffTokens>): number {
  return ops.filter((o) => o.op !== 'equal').reduce((n, o) => n + tokenize(o.text).length, 0);
}

describe('word diff', () => {
  test('tokens concatenate back to the text, in any script', () => {
    const scripts = ['Turn left, then right!', '先左转。然后右转', 'emoji 👩‍👩‍👧 and ü and \u0301'];
    for (const t of [...scripts, '  spaced\n\tout  ', '']) {
      assert.equal(tokenize(t).join(''), t);
    }
    assert.deepEqual(tokenize('先左转'), ['先', '左', '转']);
  });

  test('adversarial inputs: empty, identical, nothing in common, one side empty', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['same text here', 'same text here'],
      ['', 'all new'],
      ['all gone', ''],
      ['alpha beta gamma', 'delta epsilon zeta'],
      ['a a a a a', 'a a a'],
      ["Let's start by thinking reverse", "Let's start by thinking forward"],
      ['先左转，然后右转。', '先右转，然后左转。'],
      ['🙂 ok 🙃', '🙃 ok 🙂'],
    ];
    for (const [a, b] of cases) {
      const ops = diffWords(a, b);
      assert.equal(applyDiff(a, ops), b, JSON.stringify([a, b]));
      assert.equal(changed(ops), minimalChanges(tokenize(a), tokenize(b)), JSON.stringify([a, b]));
    }
    assert.deepEqual(diffWords('x y', 'x y'), [{ op: 'equal', text: 'x y' }]);
    assert.deepEqual(diffWords('turn left now', 'turn right now'), [
      { op: 'equal', text: 'turn ' },
      { op: 'delete', text: 'left' },
      { op: 'insert', text: 'right' },
      { op: 'equal', text: ' now' },
    ]);
  });

  test('random inputs: the script rebuilds B and is minimal', () => {
    const r = rng(7);
    const vocab = ['left', 'right', 'turn', 'the', 'door', '.', 'go', '门', '左', '🙂'];
    for (let n = 0; n < 400; n++) {
      const la = Math.floor(r() * 40);
      const a = Array.from({ length: la }, () => vocab[Math.floor(r() * vocab.length)]);
      const b = a.filter(() => r() > 0.3).map((t) => (r() < 0.2 ? vocab[Math.floor(r() * vocab.length)] : t));
      for (let k = Math.floor(r() * 5); k > 0; k--) b.splice(Math.floor(r() * (b.length + 1)), 0, vocab[Math.floor(r() * vocab.length)]);
      const [A, B] = [a.join(' '), b.join(' ')];
      const ops = diffWords(A, B);
      assert.equal(applyDiff(A, ops), B);
      assert.equal(changed(ops), minimalChanges(tokenize(A), tokenize(B)), JSON.stringify([A, B]));
      // The same on token arrays given directly.
      const direct = diffTokens(a, b);
      assert.equal(applyDiff(a.join(''), direct), b.join(''));
    }
  });

  test('two 20,000-character chains, related and unrelated', () => {
    const r = rng(11);
    const words = Array.from({ length: 500 }, (_, i) => `w${i}`);
    const make = () => {
      let s = '';
      while (s.length < 20_000) s += words[Math.floor(r() * words.length)] + (r() < 0.1 ? '. ' : ' ');
      return s.slice(0, 20_000);
    };
    const a = make();
    const b = a.replace(/w1\d\b/g, 'changed');
    const c = make();
    for (const [x, y] of [
      [a, b],
      [a, c],
    ]) {
      const ops = diffWords(x, y);
      assert.equal(applyDiff(x, ops), y);
    }
  });
});

describe('chain diff (sentences, then words)', () => {
  const rebuild = (d: ReturnType<typeof diffChains>) => {
    const b = d.pairs
      .map((p) =>
        p.ops
          .filter((o) => o.op !== 'delete')
          .map((o) => o.text)
          .join(''),
      )
      .join('');
    const a = d.pairs
      .filter((p) => p.a !== undefined)
      .sort((x, y) => x.a! - y.a!)
      .map((p) =>
        p.ops
          .filter((o) => o.op !== 'insert')
          .map((o) => o.text)
          .join(''),
      )
      .join('');
    return { a, b };
  };

  test('sentences are matched where they moved, and words diffed within them', () => {
    const a = "Let's start by thinking reverse. I passed the sofa. Then the door. Hence, the answer is A.";
    const b = "Let's start by thinking forward. Then the door. I passed the sofa. Hence, the answer is B.";
    const d = diffChains(a, b);
    assert.deepEqual(rebuild(d), { a, b });
    const moved = d.pairs.filter((p) => p.moved);
    assert.equal(moved.length, 1, JSON.stringify(d.pairs));
    const first = d.pairs[0];
    assert.deepEqual([first.a, first.b, first.moved], [0, 0, false]);
    assert.deepEqual(
      first.ops.filter((o) => o.op !== 'equal'),
      [
        { op: 'delete', text: 'reverse' },
        { op: 'insert', text: 'forward' },
      ],
    );
    const last = d.pairs[d.pairs.length - 1];
    assert.deepEqual(
      last.ops.filter((o) => o.op !== 'equal'),
      [
        { op: 'delete', text: 'A' },
        { op: 'insert', text: 'B' },
      ],
    );
  });

  test('random chains: both sides rebuild from the pairs', () => {
    const r = rng(3);
    const pool = [
      'Turn left.',
      'Walk to the door.',
      'Pass the sofa!',
      '先左转。',
      'Hence, the answer is A.',
      'I see a 🪑 chair?',
      'Go back\n',
      'Reach the goal.',
    ];
    for (let n = 0; n < 300; n++) {
      const pick = () =>
        Array.from({ length: Math.floor(r() * 8) }, () => pool[Math.floor(r() * pool.length)] + (r() < 0.5 ? ' ' : '')).join('');
      const a = pick();
      const b = r() < 0.5 ? pick() : a.split(' ').reverse().join(' ');
      assert.deepEqual(rebuild(diffChains(a, b)), { a, b }, JSON.stringify([a, b]));
    }
  });

  test('empty and identical chains', () => {
    assert.deepEqual(diffChains('', '').pairs, []);
    const same = diffChains('One. Two.', 'One. Two.');
    assert.ok(same.pairs.every((p) => !p.moved && p.ops.length === 1 && p.ops[0].op === 'equal'));
  });

  test('stats count same, changed, moved and one-sided sentences', () => {
    const a = 'Turn left. I passed the sofa. Then the door. Only in A here.';
    const b = 'Turn left. Then the door. I passed the red sofa. Hence, the answer is B.';
    const d = diffChains(a, b);
    const s = chainDiffStats(d);
    // "Turn left." and "Then the door." are the same; the sofa sentence changed and moved;
    // the last sentence of each side has no counterpart.
    assert.equal(s.same, 2, JSON.stringify(d.pairs));
    assert.equal(s.changed, 1, JSON.stringify(d.pairs));
    assert.equal(s.moved, 1, JSON.stringify(d.pairs));
    assert.equal(s.onlyA + s.onlyB >= 2, true, JSON.stringify(s));
    assert.equal(s.same + s.changed + s.onlyA + s.onlyB, d.pairs.length);
    assert.deepEqual(chainDiffStats(diffChains('', '')), { same: 0, changed: 0, moved: 0, onlyA: 0, onlyB: 0 });
    assert.deepEqual(chainDiffStats(diffChains('One. Two.', 'One. Two.')), { same: 2, changed: 0, moved: 0, onlyA: 0, onlyB: 0 });
  });
});
