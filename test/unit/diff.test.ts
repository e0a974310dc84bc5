/**
 * The word diff: applying the edit script to A gives B, on random and adversarial inputs, and the
 * script is minimal (checked against a plain LCS table on small inputs).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GAP_LIMITS, applyDiff, chainDiffStats, diffChains, diffTokens, diffWords, tokenize } from '../../src/core/compare/diff';

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

  // Issue 11, item 13: a sentence with one letter changed and a clause appended showed as a whole
  // sentence added, then the old one removed; it is one changed sentence, the changed words marked.
  test('one letter changed plus a clause appended: one changed sentence, the word and the clause marked', () => {
    const start = "Let's start by thinking forward. I pass the sofa and then the window. ";
    const a = `${start}Hence, the correct answer is C.`;
    const clause = ', since the kitchen door came into view only after I turned around at the end of the hallway';
    const b = `${start}Hence, the correct answer is D${clause}.`;
    const d = diffChains(a, b);
    assert.deepEqual(rebuild(d), { a, b });
    assert.deepEqual(
      d.pairs.map((p) => [p.a, p.b, p.moved]),
      [
        [0, 0, false],
        [1, 1, false],
        [2, 2, false],
      ],
    );
    assert.deepEqual(d.pairs[2].ops, [
      { op: 'equal', text: 'Hence, the correct answer is ' },
      { op: 'delete', text: 'C' },
      { op: 'insert', text: `D${clause}` },
      { op: 'equal', text: '.' },
    ]);
    assert.deepEqual(chainDiffStats(d), { same: 2, changed: 1, moved: 0, onlyA: 0, onlyB: 0 });
  });

  test('a letter changed inside a word, then a clause: the word and the clause are the only marks', () => {
    const a = 'First I see the red chair near the window. Then the door.';
    const clause = ', and then I turn right towards the kitchen where the long hallway ends at a glass door';
    const b = `First I see the red chairs near the window${clause}. Then the door.`;
    const d = diffChains(a, b);
    assert.deepEqual(rebuild(d), { a, b });
    assert.equal(d.pairs.length, 2, JSON.stringify(d.pairs));
    assert.deepEqual(
      d.pairs[0].ops.filter((o) => o.op !== 'equal'),
      [
        { op: 'delete', text: 'chair' },
        { op: 'insert', text: 'chairs' },
        { op: 'insert', text: clause },
      ],
    );
  });

  test('sentences unlike each other stay removed and added, removed first', () => {
    const a = 'One. Alpha beta gamma delta. Two.';
    const b = 'One. Epsilon zeta eta. Two.';
    const d = diffChains(a, b);
    assert.deepEqual(
      d.pairs.map((p) => [p.a, p.b]),
      [
        [0, 0],
        [1, undefined],
        [undefined, 1],
        [2, 2],
      ],
    );
    // At the end of the chains too, and with several on each side.
    const e = diffChains('Same. Gone one. Gone two.', 'Same. New one here? New two here!');
    assert.deepEqual(
      e.pairs.map((p) => [p.a, p.b]),
      [
        [0, 0],
        [1, undefined],
        [2, undefined],
        [undefined, 1],
        [undefined, 2],
      ],
    );
  });

  test('only sentences between the same two pairs in order are paired as edits, and only when short enough', () => {
    // "I pass the sofa" lengthened, but on the other side of a sentence both chains keep: not paired here
    // (it is a move, which the Dice pass alone may pair), so each side shows it on its own.
    const a = 'I pass the sofa. Then the door. Hence B.';
    const b = 'Then the door. I pass the sofa on my left while the lamp, the shelf and the long window go by. Hence B.';
    const d = diffChains(a, b);
    assert.deepEqual(rebuild(d), { a, b });
    assert.ok(
      d.pairs.some((p) => p.a === 0 && p.b === undefined) && d.pairs.some((p) => p.a === undefined && p.b === 1),
      JSON.stringify(d.pairs),
    );
    // Words w0, w1, … then x0, x1, … (the extra words bring Dice's overlap under 0.5).
    const words = (n: number, extra = 0) =>
      [...Array.from({ length: n }, (_, k) => `w${k}`), ...Array.from({ length: extra }, (_, k) => `x${k}`)].join(' ') + '.';
    const layout = (x: string, y: string) => diffChains(`Start. ${x}`, `Start. ${y}`).pairs.map((p) => [p.a, p.b]);
    // Within the cap: one changed sentence.
    assert.deepEqual(layout(words(30), words(30, 70)), [
      [0, 0],
      [1, 1],
    ]);
    // Longer than the cap: left as removed and added.
    const n = GAP_LIMITS.words + 1;
    assert.deepEqual(layout(words(n), words(n, 3 * n)), [
      [0, 0],
      [1, undefined],
      [undefined, 1],
    ]);
  });

  test('in a changed sentence the words removed come before the words added', () => {
    for (const [a, b] of [
      ['the answer is A.', 'the answer is B, since the door is behind me.'],
      ['go left then right', 'go up down then right'],
      ['x', 'y z'],
    ]) {
      const ops = diffWords(a, b);
      assert.equal(applyDiff(a, ops), b);
      for (let k = 1; k < ops.length; k++)
        assert.ok(!(ops[k - 1].op === 'insert' && ops[k].op === 'delete'), `insert before delete in ${JSON.stringify(ops)}`);
    }
  });
});
