/**
 * The scoring rules and the format check against Python's own semantics, character by character.
 * Expected values come from CPython running the upstream rules (test/oracle/upstream_rules.py):
 * at test time when python3 is on the machine, and always from the committed fixture
 * test/oracle/python-rules.json (made by the command it records), so CI without Python still
 * checks the characters where JavaScript and Python disagree (\x1c–\x1f, \x85, \ufeff, and word
 * characters of newer Unicode versions).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatValid, goldLetter, isPythonSpace, pyStrip, scoreGrpoReward, scoreMcqInfer } from '../../src/core/derive';
import { repoRoot } from './helpers';

interface Probe {
  char: number;
  response: string;
  gold: string;
  /** extract_choice's result (a letter, or the text when it finds none). */
  extracted: string;
  /** The accuracy reward's string match: 1 or 0. */
  reward: number;
  /** format_reward: re.match of <think>.*?</think>\s*<answer>.*?</answer>. */
  format: boolean;
}

const oracle = path.join(repoRoot, 'test/oracle/upstream_rules.py');

function python(mode: string, input?: string): unknown {
  const r = spawnSync('python3', [oracle, mode], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python3 ${oracle} ${mode} failed: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout);
}

const hasPython = (() => {
  const r = spawnSync('python3', ['-c', 'import re, unicodedata'], { encoding: 'utf8' });
  return r.status === 0;
})();
const noPython = hasPython ? undefined : 'python3 is not installed: only the committed fixture is checked';

const show = (c: number) => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

/** Each probe's Python result against the product's rules; every mismatch is listed. */
function mismatches(probes: readonly Probe[]): string[] {
  const out: string[] = [];
  for (const p of probes) {
    const where = `${show(p.char)} ${JSON.stringify(p.response)} gold ${JSON.stringify(p.gold)}`;
    const letter = p.extracted.length === 1 && 'ABCD'.includes(p.extracted) ? p.extracted : '';
    const mcq = scoreMcqInfer(p.response, p.gold, true);
    if (mcq.predicted !== letter)
      out.push(`${where}: mcq_infer extracted ${JSON.stringify(mcq.predicted)}, Python ${JSON.stringify(p.extracted)}`);
    const grpo = scoreGrpoReward(p.response, p.gold, true);
    if ((grpo.outcome === 'correct') !== (p.reward === 1)) out.push(`${where}: grpo_reward ${grpo.outcome}, Python reward ${p.reward}`);
    if (formatValid(p.response) !== p.format) out.push(`${where}: format ${formatValid(p.response)}, Python ${p.format}`);
  }
  return out;
}

describe('Python semantics: the committed fixture (no python3 needed)', () => {
  const fx = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test/oracle/python-rules.json'), 'utf8')) as {
    command: string;
    python: string;
    spaceDiffers: { char: number; python: boolean; ecmascript: boolean }[];
    probes: Probe[];
  };

  test('the fixture records how it was made and holds the characters JS and Python disagree on', () => {
    assert.match(fx.command, /^python3 test\/oracle\/upstream_rules\.py fixture/);
    // By hand from Python's str.isspace and ECMAScript's WhiteSpace/LineTerminator lists.
    assert.deepEqual(
      fx.spaceDiffers.map((d) => [show(d.char), d.python, d.ecmascript]),
      [
        ['U+001C', true, false],
        ['U+001D', true, false],
        ['U+001E', true, false],
        ['U+001F', true, false],
        ['U+0085', true, false],
        ['U+FEFF', false, true],
      ],
    );
    // JavaScript's own \s really differs on exactly these (so the fixture is about real differences).
    for (const d of fx.spaceDiffers) assert.equal(/\s/.test(String.fromCharCode(d.char)), d.ecmascript, show(d.char));
  });

  test('isPythonSpace and pyStrip follow Python on each of them', () => {
    for (const d of fx.spaceDiffers) {
      assert.equal(isPythonSpace(d.char), d.python, show(d.char));
      const ch = String.fromCharCode(d.char);
      assert.equal(pyStrip(`${ch}x${ch}`), d.python ? 'x' : `${ch}x${ch}`, show(d.char));
    }
  });

  test('both rules and the format check agree with Python on every probe', () => {
    assert.ok(fx.probes.length >= 8 * fx.spaceDiffers.length);
    assert.deepEqual(mismatches(fx.probes), []);
  });

  test('worked by hand: \\ufeff is not stripped, \\x85 and \\x1c are', () => {
    // Python: '\ufeffB'.strip()[0] == '\ufeff' != 'B' → reward 0; '\x85B'.strip() == 'B' → reward 1.
    assert.equal(scoreGrpoReward('<answer>\ufeffB</answer>', 'B', true).outcome, 'incorrect');
    assert.equal(scoreGrpoReward('<answer>\x85B</answer>', 'B', true).outcome, 'correct');
    // re's \s matches \x1c and \x85 (not \ufeff) between </think> and <answer>.
    assert.equal(formatValid('<think>t</think>\x1c<answer>A</answer>'), true);
    assert.equal(formatValid('<think>t</think>\x85<answer>A</answer>'), true);
    assert.equal(formatValid('<think>t</think>\ufeff<answer>A</answer>'), false);
    // A gold that starts with \ufeff keeps it (Python's strip): its letter is not found.
    assert.equal(goldLetter('\ufeffB. Turn left'), undefined);
    assert.equal(goldLetter('\x1fB. Turn left'), 'B');
  });
});

describe('Python semantics: python3 at test time, every BMP character', { skip: noPython }, () => {
  test("white space: isPythonSpace equals str.isspace (and re's \\s) on all 65,536 BMP code points", () => {
    const c = python('classify') as { space: number[]; sreSpaceIsIsspace: boolean; python: string };
    assert.equal(c.sreSpaceIsIsspace, true, `Python ${c.python}: re's \\s is str.isspace`);
    const py = new Set(c.space);
    const wrong: string[] = [];
    for (let k = 0; k < 0x10000; k++) if (isPythonSpace(k) !== py.has(k)) wrong.push(show(k));
    assert.deepEqual(wrong, []);
  });

  test('both rules and the format check agree with Python on every character whose white space or word-ness differs', () => {
    const c = python('classify') as { space: number[]; word: [number, number][]; sreWordIsIsalnum: boolean };
    assert.equal(c.sreWordIsIsalnum, true);
    const pySpace = new Set(c.space);
    const pyWord = new Set<number>();
    for (const [a, b] of c.word) for (let k = a; k <= b; k++) pyWord.add(k);
    // Every white-space character of either language, and every character whose word-ness (what
    // \b looks at) differs between this Node's Unicode data and this Python's.
    const chars: number[] = [];
    for (let k = 0; k < 0x10000; k++) {
      if (k >= 0xd800 && k <= 0xdfff) continue; // lone surrogates cannot travel as UTF-8
      const ch = String.fromCharCode(k);
      const jsSpace = /\s/.test(ch);
      const jsWord = /[\p{L}\p{N}_]/u.test(ch);
      if (jsSpace || pySpace.has(k) || jsWord !== pyWord.has(k)) chars.push(k);
    }
    // At least the 6 white-space differences and the 25 white-space characters both agree on.
    assert.ok(chars.length >= 31, `${chars.length} characters`);
    const { probes } = python('score', JSON.stringify({ chars })) as { probes: Probe[] };
    assert.equal(probes.length, chars.length * 8);
    assert.deepEqual(mismatches(probes), []);
  });
});
