/**
 * The judge's reply parsing against upstream's (eval/qa_eval.py): the greedy `{…}` span read as a
 * Python literal, the total, and the evaluation as json.dump writes it. Each tricky reply has its
 * expected values written here; where python3 is present the same replies also go through
 * CPython (test/oracle/judge_parse.py: re.search + ast.literal_eval + json.dumps), and every
 * reply's total, written evaluation and "upstream would stop" verdict must agree.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { braceSpan, evaluateReply, failedEvaluation, pyFloatRepr, pyJsonDump } from '../../src/core/judge/evaluation';
import { literalEval, PyLiteralError } from '../../src/core/judge/pyLiteral';
import { repoRoot } from './helpers';

/** Replies a judge has sent or could send, and what upstream makes of each (total; undefined: its script stops). */
const CASES: [reply: string, total: number | undefined][] = [
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': 5}", 4],
  ['```python\n{\n  "direction": 2,\n  "landmark": 3,\n  "semantic and logic": 3,\n}\n```', 8 / 3],
  ["Here is my evaluation: {'direction': 5, 'landmark': 4, 'semantic and logic': 4}. Thanks!", 13 / 3],
  ["{'direction': True, 'landmark': False, 'semantic and logic': 3}", 4 / 3],
  ["{'direction': 4.5, 'landmark': 3, 'semantic and logic': 1_0}", 17.5 / 3],
  ["{'direction': 0x3, 'landmark': 0o2, 'semantic and logic': 0b1}", 2],
  ["{'direction': 3, 'landmark': 3, 'semantic and logic': 3, 'total': 99}", 3],
  ["{'direction': 3, # the turns\n 'landmark': 2, 'semantic and logic': 4}", 3],
  ["{'direction': 3, 'direction': 5, 'landmark': 1, 'semantic and logic': 0}", 2],
  ["{'direction': -1, 'landmark': +2, 'semantic and logic': 5}", 2],
  ["{'direction': (4), 'landmark': 2., 'semantic and logic': .5e1}", 11 / 3],
  ["{'dir' 'ection': 4, r'landmark': 4, u'semantic and logic': 4}", 4],
  ['{"direction": 4, \'landmark\': 2, """semantic and logic""": 3}', 3],
  ["{'direction': 4, 'landmark': 2, 'semantic\\x20and logic': 3}", 3],
  ["{'direction': 4, 'landmark': 2}", 2],
  ['{}', 0],
  ['no scores at all', 0],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': 5} and also {'x': 1}", 0],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': 5", 0],
  // JSON's true and null are not Python: the whole reply reads as {}.
  ['{"direction": 4, "landmark": 3, "semantic and logic": 5, "note": true}', 0],
  ['{"direction": 4, "landmark": 3, "semantic and logic": 5, "note": null}', 0],
  ['{"direction": 4, "landmark": 3, "semantic and logic": 5, "note": True, }', 4],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': x}", 0],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': 2+3}", 0],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': --3}", 0],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': -True}", 0],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': f'5'}", 0],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': 05}", 0],
  ["{'direction': 4, 'landmark': 3, [1]: 2}", 0],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': 5}\n}", 0],
  ["{'direction':\u00a04}", 0],
  ["{'direction': 4, 'landmark': 'five', 'semantic and logic': 5}", undefined],
  ["{'direction': 4, 'landmark': None, 'semantic and logic': 5}", undefined],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': 1+2j}", undefined],
  ['{1, 2, 3}', undefined],
  ['{1: 2}, {3: 4}', undefined],
  ["{'direction': 4, 'landmark': [1], 'semantic and logic': 5}", undefined],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': 5, 'extra': (1, 2.5, 'x', None, [True])}", 4],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': 5, 'extra': b'bytes'}", undefined],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': 5, 1: 'a', 2.5: 'b', None: 'c', True: 'd'}", 4],
  ["{'direction': 1e-7, 'landmark': 1e16, 'semantic and logic': 0}", (1e-7 + 1e16) / 3],
  ["{'direction': 1, 'landmark': 1, 'semantic and logic': 1e400}", Infinity],
  ["{'direction': 4\\\n, 'landmark': 3, 'semantic and logic': 5}", 4],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': 5, 's': 'a\\nb\\t\\u00e9\\101'}", 4],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': 5, 's': 'line\nbreak'}", 0],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': 5, 's': '''line\r\nbreak'''}", 4],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': 5, 's': set(), 't': ...}", undefined],
  ["{'direction': 4, 'landmark': 3, 'semantic and logic': 5, 'n': 123456789012345678901234567890}", 4],
];

const oracle = path.join(repoRoot, 'test/oracle/judge_parse.py');
const hasPython = spawnSync('python3', ['-c', 'import ast, re, json'], { encoding: 'utf8' }).status === 0;

/** total: the float as Python's json writes it (its repr; Infinity, NaN). */
type PyOut = { crash: string } | { parsed: boolean; total: string; dump: string };

function viaPython(replies: string[]): PyOut[] {
  const r = spawnSync('python3', [oracle], { input: JSON.stringify(replies), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 ${oracle} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as PyOut[];
}

/** What the product makes of a reply: the total, and the dump upstream would write (undefined: upstream stops). */
function ours(reply: string): { total: number | undefined; dump?: string } {
  const ev = evaluateReply(reply);
  if (ev.status === 'unusable') return { total: undefined };
  try {
    return { total: ev.total, dump: pyJsonDump(ev.written) };
  } catch {
    return { total: undefined };
  }
}

/** Dict-like replies built from pieces Python reads in different ways (a seeded generator: the same replies each run). */
function generatedReplies(n: number, seed: number): string[] {
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const atoms = [
    "'direction'",
    "'landmark'",
    "'semantic and logic'",
    '"direction"',
    '3',
    '4',
    '-2',
    '+1',
    '2.5',
    '.5',
    '5.',
    '1e3',
    '0x1F',
    '0o7',
    '0b11',
    '1_0',
    'True',
    'False',
    'None',
    '...',
    '2j',
    '1+2j',
    "'a'",
    "b'x'",
    "r'\\d'",
    "'\\x41'",
    "'\\u00e9'",
    "'''t'''",
    '07',
    '1__0',
    '(3)',
    '(-3)',
    '--1',
    '-(2)',
    'set()',
    '[]',
    '()',
    '(1,)',
    'x',
    "'a' 'b'",
    "'a' b'b'",
    "f'x'",
    '1if',
    '\\\n',
    '# c\n',
    '1e400',
    '-0.0',
    '0',
    '00',
    '1.5e-7',
  ];
  const value = (d: number): string => {
    const r = rnd();
    const some = (k: number) => Array.from({ length: Math.floor(rnd() * k) }, () => value(d + 1));
    if (d > 2 || r < 0.5) return pick(atoms);
    if (r < 0.65) return '[' + some(3).join(pick([', ', ',', ' ,\n '])) + pick(['', ',']) + ']';
    if (r < 0.75) return '(' + some(3).join(', ') + pick(['', ',']) + ')';
    if (r < 0.85) return '{' + some(3).join(', ') + '}';
    return dict(d + 1);
  };
  const dict = (d: number): string =>
    '{' +
    Array.from({ length: Math.floor(rnd() * 4) }, () => value(d) + pick([': ', ':', ' : ']) + value(d)).join(pick([', ', ',\n', ' , '])) +
    pick(['', ',', ' ,', '\n']) +
    '}';
  return Array.from({ length: n }, () => pick(['', 'x ', '```\n']) + dict(0) + pick(['', '\n```', ' }', ' {', ', {1: 2}', '\n# }']));
}

describe('judge reply parsing (upstream safe_parse_evaluation + total)', () => {
  test('each tricky reply: the total upstream computes, or "upstream stops"', () => {
    const bad: string[] = [];
    for (const [reply, want] of CASES) {
      const got = ours(reply).total;
      const same = want === undefined ? got === undefined : got !== undefined && Object.is(got, want);
      if (!same) bad.push(`${JSON.stringify(reply)}: got ${got}, want ${want}`);
    }
    assert.deepEqual(bad, []);
  });

  test(
    'against CPython (re.search + ast.literal_eval + json.dumps)',
    { skip: hasPython ? undefined : 'python3 is not installed: the expected values above are checked instead' },
    () => {
      const py = viaPython(CASES.map((c) => c[0]));
      const bad: string[] = [];
      CASES.forEach(([reply], i) => {
        const p = py[i];
        const o = ours(reply);
        if ('crash' in p) {
          if (o.total !== undefined) bad.push(`${JSON.stringify(reply)}: Python stops (${p.crash}), we score ${o.total}`);
        } else if (o.total === undefined) bad.push(`${JSON.stringify(reply)}: we say upstream stops, Python gives ${p.total}`);
        else {
          if (pyFloatRepr(o.total) !== p.total) bad.push(`${JSON.stringify(reply)}: total ${o.total}, Python ${p.total}`);
          if (o.dump !== p.dump) bad.push(`${JSON.stringify(reply)}: dump\n${o.dump}\nPython\n${p.dump}`);
        }
      });
      assert.deepEqual(bad, []);
    },
  );

  test('against CPython on 2,000 generated replies (seeded)', { skip: hasPython ? undefined : 'python3 is not installed' }, () => {
    const replies = generatedReplies(2000, 7);
    const py = viaPython(replies);
    const bad: string[] = [];
    replies.forEach((reply, i) => {
      const p = py[i];
      const o = ours(reply);
      const same = 'crash' in p ? o.total === undefined : o.total !== undefined && o.dump === p.dump;
      if (!same) bad.push(`${JSON.stringify(reply)}: ours ${o.dump ?? 'stops'}, Python ${'crash' in p ? 'stops' : p.dump}`);
    });
    assert.deepEqual(bad.slice(0, 10), []);
  });

  test('the span is greedy: first { to last }', () => {
    assert.equal(braceSpan('a {x} b {y} c'), '{x} b {y}');
    assert.equal(braceSpan('} {'), undefined);
    assert.equal(braceSpan('{ only'), undefined);
  });

  test('a reply with no text (content null) scores 0 as an unparsed reply', () => {
    const ev = evaluateReply(null);
    assert.equal(ev.status, 'unparsed');
    assert.equal(ev.total, 0);
    assert.equal(pyJsonDump(ev.written), '{\n  "total": 0.0\n}');
  });

  test("a failed call is upstream's zeros, with its 'semantic' key", () => {
    const ev = failedEvaluation('HTTP 500');
    assert.equal(pyJsonDump(ev.written), '{\n  "direction": 0,\n  "landmark": 0,\n  "semantic": 0,\n  "total": 0.0\n}');
    assert.equal(ev.status, 'failed');
  });

  test('literal_eval refuses what Python refuses', () => {
    for (const src of [
      '{a: 1}',
      "{'a': 1 if 1 else 2}",
      "{'a': [1, 2][0]}",
      '{**x}',
      "{'a': 1}.get('a')",
      '{1: 2} {3: 4}',
      "{'a': '''x}",
      "{'\0': 1}",
    ]) {
      assert.throws(() => literalEval(src), PyLiteralError, src);
    }
    assert.deepEqual(literalEval('{1, 1.0, True}'), { t: 'set', items: [{ t: 'int', v: 1n }] });
  });

  test("Python's float repr as json.dump writes it", () => {
    const cases: [number, string][] = [
      [4, '4.0'],
      [4 / 3, '1.3333333333333333'],
      [1e-5, '1e-05'],
      [1e16, '1e+16'],
      [1.5e-7, '1.5e-07'],
      [0.0001, '0.0001'],
      [123456789012345.6, '123456789012345.6'],
      [-0, '-0.0'],
    ];
    for (const [x, want] of cases) assert.equal(pyFloatRepr(x), want, String(x));
  });
});
