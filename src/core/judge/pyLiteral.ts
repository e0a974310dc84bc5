/**
 * Python's `ast.literal_eval` on a string, as upstream's judge scripts read a judge's reply
 * (eval/qa_eval.py, eval/qa_eval2.py: the span from the first `{` to the last `}`, dot matching
 * newline, read as a Python literal). Written from the language reference, not from CPython:
 * - literals: strings (quotes, triple quotes, r/u/b prefixes, escapes, adjacent strings joined),
 *   bytes, ints (decimal, 0x, 0o, 0b, underscores; kept exact as bigint), floats, imaginary numbers,
 *   True, False, None, `...`;
 * - containers: dicts, lists, tuples (also a bare top-level `a, b`), sets, `set()`; trailing commas;
 * - a sign before a number (`-5`, `+(5)`, not `--5`, not `-True`), and `number ± imaginary`;
 * - comments, line breaks inside brackets, backslash continuations.
 * Anything else (names, calls, operators, f-strings, unhashable dict keys or set items, a null
 * character) is an error, as it is for literal_eval (ValueError, SyntaxError or TypeError: upstream
 * catches all three and reads the reply as `{}`).
 * Known gap: `\N{NAME}` escapes are accepted without checking the name (its character is U+FFFD).
 */

export type PyValue =
  | { t: 'int'; v: bigint }
  | { t: 'bool'; v: boolean }
  | { t: 'float'; v: number }
  | { t: 'complex'; re: number; im: number }
  | { t: 'str'; v: string }
  | { t: 'bytes'; v: string }
  | { t: 'none' }
  | { t: 'ellipsis' }
  | { t: 'list' | 'tuple' | 'set'; items: PyValue[] }
  | { t: 'dict'; entries: [PyValue, PyValue][] };

export class PyLiteralError extends Error {
  override name = 'PyLiteralError';
}

type Tok =
  | { k: 'op'; v: string; at: number }
  | { k: 'num'; v: PyValue; at: number }
  | { k: 'str'; v: string; bytes: boolean; f: boolean; at: number }
  | { k: 'name'; v: string; at: number }
  | { k: 'nl'; at: number }
  | { k: 'end'; at: number };

const OPS = new Set(['{', '}', '[', ']', '(', ')', ',', ':', '+', '-']);
const NUMBER = /(?:[0-9](?:_?[0-9])*)?(?:\.(?:[0-9](?:_?[0-9])*)?)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?[jJ]?/y;
const RADIX = /0(?:[xX](?:_?[0-9a-fA-F])+|[oO](?:_?[0-7])+|[bB](?:_?[01])+)/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const IDENT_CHAR = /[A-Za-z0-9_\u0080-\uffff]/;
/** The tokenizer's limit on open brackets (CPython's MAXLEVEL). */
const MAX_DEPTH = 200;

function fail(message: string): never {
  throw new PyLiteralError(message);
}

function numberToken(src: string, at: number): { tok: Tok; end: number } {
  RADIX.lastIndex = at;
  let m = RADIX.exec(src);
  let v: PyValue;
  if (m) v = { t: 'int', v: BigInt(m[0].replace(/_/g, '')) };
  else {
    NUMBER.lastIndex = at;
    m = NUMBER.exec(src)!;
    const text = m[0].replace(/_/g, '');
    if (/[jJ]$/.test(text)) v = { t: 'complex', re: 0, im: Number(text.slice(0, -1)) };
    else if (/[.eE]/.test(text)) v = { t: 'float', v: Number(text) };
    else if (/^0+$/.test(text) || /^[1-9]/.test(text)) v = { t: 'int', v: BigInt(text) };
    else fail('leading zeros in decimal integer literals are not permitted');
  }
  const end = at + m[0].length;
  if (end < src.length && IDENT_CHAR.test(src[end])) fail(`invalid decimal literal at ${at}`);
  return { tok: { k: 'num', v, at }, end };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** The value of a string literal's body: escapes decoded unless raw; bytes keep \u, \U and \N as text. */
function decodeBody(body: string, raw: boolean, bytes: boolean): string {
  if (bytes) for (let k = 0; k < body.length; k++) if (body.charCodeAt(k) > 0x7f) fail('bytes can only contain ASCII literal characters');
  if (raw) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === '\n') continue;
    if (e in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[e];
    else if (e >= '0' && e <= '7') {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      i += oct.length - 1;
      const code = parseInt(oct, 8);
      out += String.fromCharCode(bytes ? code & 0xff : code);
    } else if (e === 'x' || (!bytes && (e === 'u' || e === 'U'))) {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) fail(`truncated \\${e} escape`);
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) fail('illegal Unicode character');
      out += String.fromCodePoint(code);
      i += n;
    } else if (!bytes && e === 'N') {
      const m = /^N\{[^}\n]+\}/.exec(body.slice(i));
      if (!m) fail('malformed \\N character escape');
      out += '\ufffd';
      i += m[0].length - 1;
    } else out += '\\' + e;
  }
  return out;
}

/** A string token starting at `at` (its prefix already read as `prefix`, `q` at `start`). */
function stringToken(src: string, at: number, prefix: string, start: number): { tok: Tok; end: number } {
  const p = prefix.toLowerCase();
  if (!['', 'r', 'u', 'b', 'br', 'rb', 'f', 'fr', 'rf'].includes(p)) fail(`unknown string prefix ${prefix}`);
  const q = src[start];
  const triple = src.startsWith(q.repeat(3), start);
  const close = triple ? q.repeat(3) : q;
  let i = start + close.length;
  while (true) {
    if (i >= src.length) fail('unterminated string literal');
    const c = src[i];
    if (c === '\\') {
      if (i + 1 >= src.length) fail('unterminated string literal');
      i += 2;
      continue;
    }
    if (c === '\n' && !triple) fail('unterminated string literal');
    if (src.startsWith(close, i)) break;
    i++;
  }
  const body = src.slice(start + close.length, i);
  const raw = p.includes('r');
  const bytes = p.includes('b');
  return { tok: { k: 'str', v: decodeBody(body, raw, bytes), bytes, f: p.includes('f'), at }, end: i + close.length };
}

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let depth = 0;
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\f') i++;
    else if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '\\') {
      if (src[i + 1] !== '\n') fail('unexpected character after line continuation character');
      i += 2;
    } else if (c === '\n') {
      if (depth === 0) toks.push({ k: 'nl', at: i });
      i++;
    } else if (c === '"' || c === "'") {
      const s = stringToken(src, i, '', i);
      toks.push(s.tok);
      i = s.end;
    } else if ((c >= '0' && c <= '9') || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const n = numberToken(src, i);
      toks.push(n.tok);
      i = n.end;
    } else if (src.startsWith('...', i)) {
      toks.push({ k: 'name', v: '...', at: i });
      i += 3;
    } else if (/[A-Za-z_]/.test(c)) {
      NAME.lastIndex = i;
      const name = NAME.exec(src)![0];
      const after = i + name.length;
      if (src[after] === '"' || src[after] === "'") {
        const s = stringToken(src, i, name, after);
        toks.push(s.tok);
        i = s.end;
      } else {
        if (after < src.length && /[\u0080-\uffff]/.test(src[after])) fail('non-ASCII name');
        toks.push({ k: 'name', v: name, at: i });
        i = after;
      }
    } else if (OPS.has(c)) {
      if ('{[('.includes(c) && ++depth > MAX_DEPTH) fail('too many nested parentheses');
      if ('}])'.includes(c)) depth--;
      toks.push({ k: 'op', v: c, at: i });
      i++;
    } else fail(`invalid character ${JSON.stringify(c)} at ${i}`);
  }
  toks.push({ k: 'end', at: i });
  return toks;
}

/** A parsed expression and the kind of node Python's parser would have made of it (what literal_eval checks). */
interface Node {
  node: 'constant' | 'unary' | 'binop' | 'other';
  value: PyValue;
}

function isNumeric(v: PyValue): boolean {
  return v.t === 'int' || v.t === 'float' || v.t === 'complex';
}

function negate(v: PyValue): PyValue {
  if (v.t === 'int') return { t: 'int', v: -v.v };
  if (v.t === 'float') return { t: 'float', v: -v.v };
  if (v.t === 'complex') return { t: 'complex', re: -v.re, im: -v.im };
  return fail('malformed node or string');
}

/** Python's == between two hashable literal values (1 == 1.0 == True; 'a' != b'a'). */
export function pyEquals(a: PyValue, b: PyValue): boolean {
  const num = (v: PyValue): [number | bigint, number] | undefined =>
    v.t === 'int'
      ? [v.v, 0]
      : v.t === 'bool'
        ? [v.v ? 1n : 0n, 0]
        : v.t === 'float'
          ? [v.v, 0]
          : v.t === 'complex'
            ? [v.re, v.im]
            : undefined;
  const na = num(a);
  const nb = num(b);
  if (na || nb) {
    if (!na || !nb) return false;
    // bigint and number compare by value with ==
    return na[0] == nb[0] && na[1] === nb[1];
  }
  if (a.t !== b.t) return false;
  if (a.t === 'str' || a.t === 'bytes') return a.v === (b as typeof a).v;
  if (a.t === 'tuple') {
    const bi = (b as typeof a).items;
    return a.items.length === bi.length && a.items.every((x, i) => pyEquals(x, bi[i]));
  }
  return a.t === 'none' || a.t === 'ellipsis';
}

function hashable(v: PyValue): boolean {
  if (v.t === 'list' || v.t === 'dict' || v.t === 'set') return false;
  return v.t !== 'tuple' || v.items.every(hashable);
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.i];
  }

  private isOp(v: string): boolean {
    const t = this.peek();
    return t.k === 'op' && t.v === v;
  }

  private expect(v: string): void {
    if (!this.isOp(v)) fail(`expected ${v} at ${this.peek().at}`);
    this.i++;
  }

  private startsExpr(): boolean {
    const t = this.peek();
    return t.k === 'num' || t.k === 'str' || t.k === 'name' || (t.k === 'op' && '{[(+-'.includes(t.v));
  }

  top(): PyValue {
    const first = this.expr();
    let value = first.value;
    if (this.isOp(',')) value = { t: 'tuple', items: [first.value, ...this.restOfList(undefined)] };
    while (this.peek().k === 'nl') this.i++;
    if (this.peek().k !== 'end') fail(`invalid syntax at ${this.peek().at}`);
    return value;
  }

  /** After a first item: `, item`* with an optional trailing comma, up to `close` (or the end of the expression). */
  private restOfList(close: string | undefined): PyValue[] {
    const items: PyValue[] = [];
    while (this.isOp(',')) {
      this.i++;
      if ((close && this.isOp(close)) || !this.startsExpr()) break;
      items.push(this.expr().value);
    }
    return items;
  }

  private expr(): Node {
    let left = this.term();
    let ops = 0;
    while (this.isOp('+') || this.isOp('-')) {
      const minus = this.isOp('-');
      this.i++;
      const right = this.term();
      ops++;
      const l = left.value;
      const r = right.value;
      // literal_eval: (signed int or float) ± an imaginary constant, and only that.
      const ok =
        ops === 1 &&
        (left.node === 'constant' || left.node === 'unary') &&
        (l.t === 'int' || l.t === 'float') &&
        right.node === 'constant' &&
        r.t === 'complex';
      if (!ok) fail('malformed node or string');
      const lv = l.t === 'int' ? Number(l.v) : l.v;
      const rc = r as { re: number; im: number };
      left = { node: 'binop', value: { t: 'complex', re: minus ? lv - rc.re : lv + rc.re, im: minus ? -rc.im : rc.im } };
    }
    return left;
  }

  private term(): Node {
    let signs = 0;
    let minus = false;
    while (this.isOp('+') || this.isOp('-')) {
      if (this.isOp('-')) minus = !minus;
      signs++;
      this.i++;
    }
    const p = this.primary();
    if (signs === 0) return p;
    if (signs > 1 || p.node !== 'constant' || !isNumeric(p.value)) fail('malformed node or string');
    return { node: 'unary', value: minus ? negate(p.value) : p.value };
  }

  private primary(): Node {
    const t = this.peek();
    this.i++;
    if (t.k === 'num') return { node: 'constant', value: t.v };
    if (t.k === 'str') return { node: 'constant', value: this.strings(t) };
    if (t.k === 'name') return this.name(t.v);
    if (t.k === 'op' && t.v === '(') return this.parens();
    if (t.k === 'op' && t.v === '[') {
      if (this.isOp(']')) {
        this.i++;
        return { node: 'other', value: { t: 'list', items: [] } };
      }
      const items = [this.expr().value, ...this.restOfList(']')];
      this.expect(']');
      return { node: 'other', value: { t: 'list', items } };
    }
    if (t.k === 'op' && t.v === '{') return this.braces();
    return fail(`invalid syntax at ${t.at}`);
  }

  private strings(first: Extract<Tok, { k: 'str' }>): PyValue {
    let v = first.v;
    let f = first.f;
    while (this.peek().k === 'str') {
      const t = this.peek() as Extract<Tok, { k: 'str' }>;
      if (t.bytes !== first.bytes) fail('cannot mix bytes and nonbytes literals');
      v += t.v;
      f ||= t.f;
      this.i++;
    }
    if (f) fail('malformed node or string: an f-string');
    return first.bytes ? { t: 'bytes', v } : { t: 'str', v };
  }

  private name(n: string): Node {
    if (n === 'True' || n === 'False') return { node: 'constant', value: { t: 'bool', v: n === 'True' } };
    if (n === 'None') return { node: 'constant', value: { t: 'none' } };
    if (n === '...') return { node: 'constant', value: { t: 'ellipsis' } };
    if (n === 'set' && this.isOp('(')) {
      this.i++;
      this.expect(')');
      return { node: 'other', value: { t: 'set', items: [] } };
    }
    return fail(`malformed node or string: name ${n}`);
  }

  private parens(): Node {
    if (this.isOp(')')) {
      this.i++;
      return { node: 'other', value: { t: 'tuple', items: [] } };
    }
    const first = this.expr();
    if (this.isOp(')')) {
      this.i++;
      return first;
    }
    const items = [first.value, ...this.restOfList(')')];
    this.expect(')');
    return { node: 'other', value: { t: 'tuple', items } };
  }

  private braces(): Node {
    if (this.isOp('}')) {
      this.i++;
      return { node: 'other', value: { t: 'dict', entries: [] } };
    }
    const first = this.expr().value;
    if (!this.isOp(':')) {
      const items = [first, ...this.restOfList('}')];
      this.expect('}');
      return { node: 'other', value: { t: 'set', items: dedupe(items) } };
    }
    const pairs: [PyValue, PyValue][] = [];
    let key = first;
    while (true) {
      this.expect(':');
      pairs.push([key, this.expr().value]);
      if (!this.isOp(',')) break;
      this.i++;
      if (this.isOp('}')) break;
      key = this.expr().value;
    }
    this.expect('}');
    return { node: 'other', value: { t: 'dict', entries: dictOf(pairs) } };
  }
}

function dedupe(items: PyValue[]): PyValue[] {
  const out: PyValue[] = [];
  for (const v of items) {
    if (!hashable(v)) fail(`unhashable type: '${v.t}'`);
    if (!out.some((o) => pyEquals(o, v))) out.push(v);
  }
  return out;
}

/** A dict as Python builds it: an equal key keeps its first position and object, and takes the last value. */
function dictOf(pairs: [PyValue, PyValue][]): [PyValue, PyValue][] {
  const out: [PyValue, PyValue][] = [];
  for (const [k, v] of pairs) {
    if (!hashable(k)) fail(`unhashable type: '${k.t}'`);
    const same = out.find((e) => pyEquals(e[0], k));
    if (same) same[1] = v;
    else out.push([k, v]);
  }
  return out;
}

/** `ast.literal_eval(src)`: the value, or a PyLiteralError where Python raises. */
export function literalEval(src: string): PyValue {
  if (src.includes('\0')) fail('source code string cannot contain null bytes');
  // Python reads a source string with universal newlines, and literal_eval strips leading spaces and tabs.
  const text = src.replace(/\r\n?/g, '\n').replace(/^[ \t]+/, '');
  return new Parser(tokenize(text)).top();
}

/** The value at a string key of a dict value (Python's `d.get(key)`), or undefined. */
export function dictGet(d: PyValue, key: string): PyValue | undefined {
  if (d.t !== 'dict') return undefined;
  for (const [k, v] of d.entries) if (k.t === 'str' && k.v === key) return v;
  return undefined;
}
