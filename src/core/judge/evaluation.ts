/**
 * What upstream's judge scripts make of one reply, and of one failed call (eval/qa_eval.py and
 * eval/qa_eval2.py, the same code for both directions):
 * - the reply's first `{` to its last `}` (greedy `\{.*\}`, dot matching newline) read with
 *   `ast.literal_eval`; no such span, a span that does not parse, or a reply that is not text: `{}`;
 * - the sample's total: `(d.get('direction', 0) + d.get('landmark', 0) + d.get('semantic and logic', 0)) / 3.0`,
 *   so a reply that does not parse scores 0 (and is still counted in the run's mean);
 * - a call that raised (network, HTTP error, no `choices`): `{'direction': 0, 'landmark': 0, 'semantic': 0}`,
 *   total 0 (its third key is 'semantic', as upstream writes it);
 * - the evaluation written to the output file is the parsed dict with `total` set (a `total` of
 *   the judge's own is overwritten).
 * Where upstream's script would stop with an exception (the literal is not a dict; a part is a
 * string, a list, None or a complex number; a total too large for a float) there is no upstream
 * number: the sample is scored 0 like an unreadable reply and marked `unusable` with the reason.
 */
import { dictGet, literalEval, PyLiteralError, type PyValue } from './pyLiteral';

export const PART_KEYS = ['direction', 'landmark', 'semantic and logic'] as const;

export type JudgmentStatus = 'scored' | 'unparsed' | 'unusable' | 'failed';

export interface Evaluation {
  status: JudgmentStatus;
  /** The three parts as numbers (a missing one is 0, as `.get(k, 0)`). */
  parts: { direction: number; landmark: number; semantic: number };
  total: number;
  /** What upstream would write for the sample (the parsed dict, then `total`), as Python values. */
  written: PyValue;
  /** Why a reply was unparsed or unusable. */
  note?: string;
}

/** The span upstream reads: from the first `{` to the last `}` after it, or undefined. */
export function braceSpan(reply: string): string | undefined {
  const a = reply.indexOf('{');
  const b = reply.lastIndexOf('}');
  return a >= 0 && b > a ? reply.slice(a, b + 1) : undefined;
}

/** `safe_parse_evaluation`: the literal's value, or an empty dict (with why). */
export function parseReply(reply: unknown): { value: PyValue; note?: string } {
  const empty: PyValue = { t: 'dict', entries: [] };
  if (typeof reply !== 'string') return { value: empty, note: 'the reply has no text' };
  const span = braceSpan(reply);
  if (span === undefined) return { value: empty, note: 'no {…} in the reply' };
  try {
    return { value: literalEval(span) };
  } catch (e) {
    if (e instanceof PyLiteralError) return { value: empty, note: `not a Python literal: ${e.message}` };
    throw e;
  }
}

type Num = { t: 'int'; v: bigint } | { t: 'float'; v: number };

function asNumber(v: PyValue | undefined): Num | string {
  if (v === undefined) return { t: 'int', v: 0n };
  if (v.t === 'int') return v;
  if (v.t === 'bool') return { t: 'int', v: v.v ? 1n : 0n };
  if (v.t === 'float') return v;
  return `a part is ${v.t === 'complex' ? 'a complex number' : `of type ${v.t}`}`;
}

/** Python's `a + b` on ints and floats: exact for two ints, else a float. */
function add(a: Num, b: Num): Num {
  if (a.t === 'int' && b.t === 'int') return { t: 'int', v: a.v + b.v };
  const x = a.t === 'int' ? Number(a.v) : a.v;
  const y = b.t === 'int' ? Number(b.v) : b.v;
  return { t: 'float', v: x + y };
}

const toFloat = (n: Num): number => (n.t === 'int' ? Number(n.v) : n.v);

/** Upstream's evaluation of a reply (`value`: what parseReply gave). */
export function evaluateParsed(value: PyValue, note?: string): Evaluation {
  if (value.t !== 'dict') return unusable(`the literal is a ${value.t}, not a dict (upstream's script stops: no .get)`);
  const nums = PART_KEYS.map((k) => asNumber(dictGet(value, k)));
  const bad = nums.find((n): n is string => typeof n === 'string');
  if (bad !== undefined) return unusable(`${bad} (upstream's script stops: TypeError)`);
  const [d, l, s] = nums as Num[];
  const sum = add(add(d, l), s);
  if (sum.t === 'int' && (sum.v > 2n ** 1024n || sum.v < -(2n ** 1024n)))
    return unusable('the total is too large for a float (OverflowError)');
  const total = toFloat(sum) / 3;
  const entries = value.entries.filter(([k]) => !(k.t === 'str' && k.v === 'total'));
  const hadTotal = entries.length !== value.entries.length;
  // A judge's own 'total' keeps its place and takes upstream's value.
  const written: PyValue = {
    t: 'dict',
    entries: hadTotal
      ? value.entries.map(([k, v]) => [k, k.t === 'str' && k.v === 'total' ? { t: 'float', v: total } : v])
      : [
          ...entries,
          [
            { t: 'str', v: 'total' },
            { t: 'float', v: total },
          ],
        ],
  };
  const parts = { direction: toFloat(d), landmark: toFloat(l), semantic: toFloat(s) };
  const status: JudgmentStatus = value.entries.length === 0 ? 'unparsed' : 'scored';
  return { status, parts, total, written, ...(note ? { note } : {}) };
}

function unusable(note: string): Evaluation {
  const base = evaluateParsed({ t: 'dict', entries: [] });
  return { ...base, status: 'unusable', note };
}

/** The evaluation of a judge's reply, as upstream makes it. */
export function evaluateReply(reply: unknown): Evaluation {
  const { value, note } = parseReply(reply);
  return evaluateParsed(value, note);
}

/** A call that failed: upstream's `{"direction": 0, "landmark": 0, "semantic": 0}`, total 0. */
export function failedEvaluation(note: string): Evaluation {
  const zero = (k: string): [PyValue, PyValue] => [
    { t: 'str', v: k },
    { t: 'int', v: 0n },
  ];
  const written: PyValue = {
    t: 'dict',
    entries: [
      zero('direction'),
      zero('landmark'),
      zero('semantic'),
      [
        { t: 'str', v: 'total' },
        { t: 'float', v: 0 },
      ],
    ],
  };
  return { status: 'failed', parts: { direction: 0, landmark: 0, semantic: 0 }, total: 0, written, note };
}

/** Python's repr of a float, as `json.dump` writes it (`4.0`, `1e-05`, `1e+16`, `Infinity`, `NaN`). */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/**
 * `json.dump(value, indent=2, ensure_ascii=False)` of a Python value; a value json cannot write
 * (bytes, a set, a complex number, a key of such a type) throws, as it does in Python.
 */
export function pyJsonDump(v: PyValue, indent = 2, level = 0): string {
  const pad = (n: number) => '\n' + ' '.repeat(indent * n);
  switch (v.t) {
    case 'int':
      return v.v.toString();
    case 'bool':
      return v.v ? 'true' : 'false';
    case 'float':
      return pyFloatRepr(v.v);
    case 'str':
      return JSON.stringify(v.v);
    case 'none':
      return 'null';
    case 'list':
    case 'tuple':
      if (!v.items.length) return '[]';
      return `[${v.items.map((x) => pad(level + 1) + pyJsonDump(x, indent, level + 1)).join(',')}${pad(level)}]`;
    case 'dict': {
      if (!v.entries.length) return '{}';
      const items = v.entries.map(([k, x]) => `${pad(level + 1)}${JSON.stringify(jsonKey(k))}: ${pyJsonDump(x, indent, level + 1)}`);
      return `{${items.join(',')}${pad(level)}}`;
    }
    default:
      throw new TypeError(`Object of type ${v.t} is not JSON serializable`);
  }
}

function jsonKey(k: PyValue): string {
  if (k.t === 'str') return k.v;
  if (k.t === 'int') return k.v.toString();
  if (k.t === 'float') return pyFloatRepr(k.v);
  if (k.t === 'bool') return k.v ? 'true' : 'false';
  if (k.t === 'none') return 'null';
  throw new TypeError(`keys must be str, int, float, bool or None, not ${k.t}`);
}
