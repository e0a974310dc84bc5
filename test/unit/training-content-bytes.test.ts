/**
 * A completion's content facts read from its UTF-8 bytes (src/core/training/contentBytes.ts) are the
 * facts of its decoded text: hand-checked cases, the non-ASCII cases where the bytes defer to the
 * text, and many generated contents compared with the text's way.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { contentFacts, contentFactsOfText } from '../../src/core/training/contentBytes';

const facts = (s: string) => contentFacts(Buffer.from(s, 'utf8'));

describe('contentFacts (bytes)', () => {
  test('hand-checked facts', () => {
    assert.deepEqual(facts('<think>a</think>\n<answer> B </answer>'), { chars: 37, answer: 'B', hasThink: true, format: 1 });
    assert.deepEqual(facts('The answer is C'), { chars: 15, answer: '', hasThink: false, format: 0 });
    // </think> then text before <answer>: not the format; the answer is still read.
    assert.deepEqual(facts('<think>a</think> so <answer>D</answer>'), { chars: 38, answer: 'D', hasThink: true, format: 0 });
    // No </answer>: no answer tag and no format.
    assert.deepEqual(facts('<think>a</think><answer>D'), { chars: 25, answer: '', hasThink: true, format: 0 });
    // White space only in the tag: no answer.
    assert.deepEqual(facts('<answer> \t\n</answer>'), { chars: 20, answer: '', hasThink: false, format: 0 });
    // A later </think> followed by <answer> matches (re.match's .*? reaches past the first </think>).
    assert.equal(facts('<think>x</think>y</think> <answer>A</answer>').format, 1);
    // The <think> must open the content.
    assert.equal(facts(' <think>x</think><answer>A</answer>').format, 0);
    // Python's \x1c–\x1f are white space, JavaScript's are not.
    assert.equal(facts('<think>x</think>\x1c<answer>A</answer>').format, 1);
    assert.equal(facts('<answer>\x1fA</answer>').answer, 'A');
  });

  test('non-ASCII: code points, answers and Python white space', () => {
    assert.equal(facts('é😀a').chars, 3);
    assert.equal(facts('<answer>é</answer>').answer, 'é');
    assert.equal(facts('<answer>😀x</answer>').answer, '😀');
    // \xa0 and \u3000 are Python white space: stripped, and allowed between </think> and <answer>.
    assert.equal(facts('<answer>\u00a0\u3000B</answer>').answer, 'B');
    assert.equal(facts('<think>x</think>\u00a0<answer>A</answer>').format, 1);
    assert.equal(facts('<think>x</think>\u3000 \u2003<answer>A</answer>').format, 1);
    // é is not white space.
    assert.equal(facts('<think>x</think>é<answer>A</answer>').format, 0);
    assert.equal(facts('<think>é</think> <answer>A</answer>').chars, 35);
  });

  test('invalid UTF-8 reads as its decoded text (U+FFFD for bad bytes)', () => {
    const bytes = Buffer.concat([Buffer.from('<think>a'), Buffer.from([0xff, 0xc3]), Buffer.from('</think><answer>A</answer>')]);
    assert.deepEqual(contentFacts(bytes), { chars: 36, answer: 'A', hasThink: true, format: 1 });
  });

  test('generated contents: the bytes give the text’s facts', () => {
    const parts = ['<think>', '</think>', '<answer>', '</answer>', ' ', '\n', '\t', '\x1c', '\u00a0', '\u3000', '\u2028', '\x85'];
    const chars = ['A', 'b', 'é', '😀', '中', '\u00a0', ' ', '<', '>', '/'];
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const some = (pool: string[], max: number) => Array.from({ length: rnd(max + 1) }, () => pool[rnd(pool.length)]).join('');
    const spaces = parts.slice(4);
    const maybe = (lit: string) => (rnd(5) ? lit : '');
    let formats = 0;
    let answers = 0;
    for (let t = 0; t < 20000; t++) {
      // The usual shape with each piece sometimes missing, spaces and characters around the tags, and stray tags.
      const s =
        maybe('<think>') +
        some(chars, 4) +
        maybe('</think>') +
        some(spaces, 2) +
        some(chars, 1) +
        maybe('<answer>') +
        some(spaces, 2) +
        some(chars, 3) +
        maybe('</answer>') +
        some(parts, 2);
      const want = contentFactsOfText(s);
      assert.deepEqual(facts(s), want, JSON.stringify(s));
      formats += want.format;
      if (want.answer) answers++;
    }
    // The generator reaches both outcomes of each fact.
    assert.ok(formats > 100 && answers > 100, `${formats} formats, ${answers} answers`);
  });
});
