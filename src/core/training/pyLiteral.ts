/**
 * Python literals as `print(dict)` writes them: the dicts the Hugging Face trainer prints per logging
 * step (`{'loss': 0.0, 'learning_rate': 1e-06, 'rewards/accuracy_reward': 0.5, 'epoch': 0.01}`) and
 * the lists `print(contents[:2])` in upstream's accuracy reward writes. Strings in single or double
 * quotes with Python's escapes; ints and floats as `repr` writes them (`1e-06`, `nan`, `inf`, `-inf`);
 * True, False, None; lists, tuples and dicts; and a number wrapped in a call (`np.float64(0.5)`,
 * `tensor(0.5, device='cuda:0')`), which numpy 2 and torch scalars print as. Nothing is evaluated.
 */

export type PyValue = number | string | boolean | null | PyValue[] | { [key: string]: PyValue };

export class PyLiteralError extends Error {
  override name = 'PyLiteralError';
  constructor(
    message: string,
    /** 0-based index in the text where parsing failed. */
    readonly at: number,
  ) {
    super(message);
  }
}

const NUMBER = /[+-]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_][\w.]*/y;
const NUMERIC_CALL = /^(?:(?:np|numpy|torch)\.)?(?:float|int|uint|bfloat)\d*$|^tensor$/;

/** Parse one literal at `start`; returns it and the index after it (white space after it is not skipped). */
export function parsePyLiteral(text: string, start = 0): { value: PyValue; end: number } {
  const p = new Parser(text, start);
  const value = p.value();
  return { value, end: p.i };
}

class Parser {
  constructor(
    readonly s: string,
    public i: number,
  ) {}

  fail(what: string): never {
    const got = this.i < this.s.length ? `'${this.s[this.i]}'` : 'the end of the line';
    throw new PyLiteralError(`${what}, found ${got} at column ${this.i + 1}`, this.i);
  }

  space(): void {
    while (this.i < this.s.length && (this.s[this.i] === ' ' || this.s[this.i] === '\t')) this.i++;
  }

  value(): PyValue {
    this.space();
    const c = this.s[this.i];
    if (c === '{') return this.dict();
    if (c === '[') return this.sequence(']');
    if (c === '(') return this.sequence(')');
    if (c === "'" || c === '"') return this.string();
    if (c === '-' || c === '+') {
      const sign = c === '-' ? -1 : 1;
      if (this.s.startsWith('inf', this.i + 1) && !/\w/.test(this.s[this.i + 4] ?? '')) {
        this.i += 4;
        return sign * Infinity;
      }
      if (this.s.startsWith('nan', this.i + 1) && !/\w/.test(this.s[this.i + 4] ?? '')) {
        this.i += 4;
        return NaN;
      }
    }
    if (c !== undefined && /[\d.+-]/.test(c)) return this.number();
    return this.word();
  }

  number(): number {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) this.fail('expected a number');
    this.i += m[0].length;
    if (this.s[this.i] === 'j' || this.s[this.i] === 'J') this.fail('complex numbers are not metrics');
    return Number(m[0].replace(/_/g, ''));
  }

  word(): PyValue {
    WORD.lastIndex = this.i;
    const m = WORD.exec(this.s);
    if (!m) this.fail('expected a value');
    this.i += m[0].length;
    switch (m[0]) {
      case 'True':
        return true;
      case 'False':
        return false;
      case 'None':
        return null;
      case 'nan':
        return NaN;
      case 'inf':
        return Infinity;
    }
    if (this.s[this.i] === '(' && NUMERIC_CALL.test(m[0])) return this.numericCall();
    this.i -= m[0].length;
    return this.fail(`unknown name '${m[0]}'`);
  }

  /** `np.float64(0.5)`, `tensor(0.5, device='cuda:0')`: the number inside; keyword arguments are skipped. */
  numericCall(): number {
    this.i++;
    const v = this.value();
    if (typeof v !== 'number') this.fail('expected a number inside the call');
    this.space();
    while (this.s[this.i] === ',') {
      this.i++;
      this.space();
      WORD.lastIndex = this.i;
      const k = WORD.exec(this.s);
      if (!k || this.s[this.i + k[0].length] !== '=') this.fail('expected a keyword argument');
      this.i += k[0].length + 1;
      this.value();
      this.space();
    }
    if (this.s[this.i] !== ')') this.fail("expected ')'");
    this.i++;
    return v;
  }

  dict(): { [key: string]: PyValue } {
    this.i++;
    const out: { [key: string]: PyValue } = {};
    for (;;) {
      this.space();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      const key = this.value();
      if (typeof key !== 'string' && typeof key !== 'number') this.fail('expected a string or number key');
      this.space();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      out[String(key)] = this.value();
      this.space();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') this.fail("expected ',' or '}'");
    }
  }

  sequence(close: string): PyValue[] {
    this.i++;
    const out: PyValue[] = [];
    for (;;) {
      this.space();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.space();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) this.fail(`expected ',' or '${close}'`);
    }
  }

  string(): string {
    // Adjacent literals ('a' 'b') are one string in Python; repr never writes them, so neither here.
    const q = this.s[this.i++];
    let out = '';
    let from = this.i;
    for (;;) {
      const k = this.nextSpecial(q);
      if (k < 0) {
        this.i = this.s.length;
        this.fail('unterminated string');
      }
      out += this.s.slice(from, k);
      this.i = k + 1;
      if (this.s[k] === q) return out;
      out += this.escape();
      from = this.i;
    }
  }

  private nextSpecial(q: string): number {
    const a = this.s.indexOf(q, this.i);
    const b = this.s.indexOf('\\', this.i);
    return a < 0 ? b : b < 0 ? a : Math.min(a, b);
  }

  private escape(): string {
    const c = this.s[this.i++];
    const simple: Record<string, string> = {
      n: '\n',
      t: '\t',
      r: '\r',
      '\\': '\\',
      "'": "'",
      '"': '"',
      a: '\x07',
      b: '\b',
      f: '\f',
      v: '\v',
      '0': '\0',
    };
    if (c === 'x' || c === 'u' || c === 'U') {
      const n = c === 'x' ? 2 : c === 'u' ? 4 : 8;
      const hex = this.s.slice(this.i, this.i + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) this.fail(`bad \\${c} escape`);
      this.i += n;
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) this.fail(`bad \\${c} escape`);
      return String.fromCodePoint(cp);
    }
    if (c !== undefined && c in simple) return simple[c];
    // Python keeps an unknown escape as written.
    return '\\' + (c ?? '');
  }
}
