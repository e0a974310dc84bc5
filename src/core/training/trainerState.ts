/**
 * The Hugging Face trainer's `trainer_state.json` (written by `TrainerState.save_to_json`:
 * `json.dumps(asdict(state), indent=2, sort_keys=True)`, so NaN and infinities are written as the bare
 * words `NaN`, `Infinity`, `-Infinity` that JSON.parse refuses). Its `log_history` list holds one dict
 * per logging step (with `step`), evaluation dicts (`eval_*` keys) and the run's final summary
 * (`train_runtime`, …).
 *
 * Each log_history entry is found by a byte-level scan and parsed on its own, so one bad entry is one
 * problem (with its line) and a file cut short while it is written keeps every entry before the cut.
 */
import type { MetricEntry, TrainingProblem } from './types';

export interface TrainerState {
  entries: MetricEntry[];
  problems: TrainingProblem[];
  /** Top-level numbers of the state: global_step, logging_steps, max_steps, eval_steps, save_steps, epoch, … */
  fields: Record<string, number>;
  /** The file ended before its document did (a trainer writing it, or a truncated copy). */
  truncated: boolean;
}

const NON_FINITE: Record<string, number> = { '\u0000NaN': NaN, '\u0000Infinity': Infinity, '\u0000-Infinity': -Infinity };

/** JSON.parse that also takes Python's json words NaN, Infinity and -Infinity outside strings. */
export function parsePythonJson(text: string): unknown {
  // (Two indexOf scans, not /NaN|Infinity/: a whole trainer_state.json is megabytes.)
  if (text.indexOf('NaN') < 0 && text.indexOf('Infinity') < 0) return JSON.parse(text);
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i = stringEnd(text, i) - 1;
      if (i < 0) break;
    } else if (c === 'N' || c === 'I' || (c === '-' && text[i + 1] === 'I')) {
      const word = c === 'N' ? 'NaN' : c === 'I' ? 'Infinity' : '-Infinity';
      if (text.startsWith(word, i)) {
        out += text.slice(from, i) + JSON.stringify('\u0000' + word);
        i += word.length - 1;
        from = i + 1;
      }
    }
  }
  out += text.slice(from);
  return JSON.parse(out, (_k, v: unknown) => (typeof v === 'string' && v in NON_FINITE ? NON_FINITE[v] : v));
}

/** Index after the string starting at `i` (a '"'), or -1 when the text ends inside it. */
function stringEnd(s: string, i: number): number {
  for (let k = i + 1; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 0x5c) k++;
    else if (c === 0x22) return k + 1;
  }
  return -1;
}

/** Index after the JSON value starting at `i` (after white space), or -1 when the text ends inside it. */
function valueEnd(s: string, i: number): number {
  let depth = 0;
  for (let k = i; k < s.length; k++) {
    const c = s[k];
    if (c === '"') {
      k = stringEnd(s, k) - 1;
      if (k < 0) return -1;
      if (depth === 0) return k + 1;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (depth === 0) return k;
      if (--depth === 0) return k + 1;
    } else if (depth === 0 && (c === ',' || c === ' ' || c === '\n' || c === '\r' || c === '\t')) return k;
  }
  return -1;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  return i;
}

/** Counts lines forward as the scan moves (positions only grow). */
class Lines {
  private at = 0;
  line = 1;
  constructor(private readonly s: string) {}
  of(pos: number): number {
    for (let k = this.s.indexOf('\n', this.at); k >= 0 && k < pos; k = this.s.indexOf('\n', k + 1)) this.line++;
    this.at = Math.max(this.at, pos);
    return this.line;
  }
}

/** Read a trainer_state.json's text (`file` names it in entries and problems). */
export function readTrainerState(file: string, text: string): TrainerState {
  return wholeDocument(file, text) ?? scanTrainerState(file, text);
}

/**
 * The usual case at native speed: the whole document parses and every log_history entry is a flat
 * object whose text starts a line with "    {" (save_to_json's indent=2), which gives its line.
 * Undefined otherwise: scanTrainerState then reads entry by entry and reports each bad one.
 */
function wholeDocument(file: string, text: string): TrainerState | undefined {
  let doc: unknown;
  try {
    doc = parsePythonJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const { log_history: history, ...rest } = doc as Record<string, unknown>;
  if (!Array.isArray(history)) return undefined;
  const st: TrainerState = { entries: [], problems: [], fields: {}, truncated: false };
  for (const [k, v] of Object.entries(rest)) if (typeof v === 'number') st.fields[k] = v;
  let at = text.indexOf('"log_history"');
  let line = 1 + countNewlines(text, 0, at);
  for (const e of history) {
    const next = text.indexOf('\n    {', at);
    if (next < 0 || typeof e !== 'object' || e === null || Array.isArray(e)) return undefined;
    line += countNewlines(text, at, next + 1);
    at = next + 1;
    // A nested value would put "    {" lines of its own in the text: then read entry by entry.
    const step = (e as Record<string, unknown>).step;
    const values = numbersBesideStep(e as Record<string, unknown>);
    if (!values || typeof step !== 'number' || !Number.isInteger(step)) return undefined;
    st.entries.push({ kind: entryKind(values), step, stepFrom: 'file', values, file, line });
  }
  return st;
}

/**
 * numericValues of a flat entry less its `step`; undefined when a value is an object or a list. The
 * usual entry (all numbers, `step` its last key: save_to_json sorts the keys, and a training or eval
 * entry has none after "step") is its own values once `step` is deleted: deleting the last key added
 * keeps the object's fast shape (the one all such entries share), and nothing is copied.
 */
function numbersBesideStep(o: Record<string, unknown>): Record<string, number> | undefined {
  let last = '';
  let numbers = true;
  for (const k in o) {
    const x = o[k];
    if (typeof x !== 'number') {
      if (typeof x === 'object' && x !== null) return undefined;
      numbers = false;
    }
    last = k;
  }
  if (!numbers || last !== 'step' || Object.prototype.hasOwnProperty.call(o, '__proto__')) return flatNumbersBesideStep(o);
  delete o.step;
  return o as Record<string, number>;
}

/** numericValues of a flat entry less its `step`, in one loop (a copy: numbersBesideStep's way for the others). */
function flatNumbersBesideStep(o: Record<string, unknown>): Record<string, number> | undefined {
  const values: Record<string, number> = {};
  for (const k in o) {
    const x = o[k];
    if (typeof x === 'number') {
      if (k !== 'step') values[k] = x;
    } else if (typeof x === 'object' && x !== null) return undefined;
  }
  return values;
}

function countNewlines(s: string, a: number, b: number): number {
  let n = 0;
  for (let k = s.indexOf('\n', a); k >= 0 && k < b; k = s.indexOf('\n', k + 1)) n++;
  return n;
}

/** Entry by entry (readTrainerState's way when the whole document does not parse, or is not the usual layout). */
export function scanTrainerState(file: string, text: string): TrainerState {
  const st: TrainerState = { entries: [], problems: [], fields: {}, truncated: false };
  const lines = new Lines(text);
  let i = skipSpace(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  if (text[i] !== '{') {
    st.problems.push({ file, line: lines.of(i), message: 'not a trainer state: the file does not start with a JSON object' });
    return st;
  }
  i++;
  for (;;) {
    i = skipSpace(text, i);
    if (i >= text.length) return cut(st, file, lines.of(i));
    if (text[i] === '}') return st;
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] !== '"') return bad(st, file, lines.of(i), 'expected a key');
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0) return cut(st, file, lines.of(i));
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    if (text[i] !== ':') return i >= text.length ? cut(st, file, lines.of(i)) : bad(st, file, lines.of(i), `expected ':' after "${key}"`);
    i = skipSpace(text, i + 1);
    if (key === 'log_history' && text[i] === '[') {
      i = readLogHistory(st, file, text, i + 1, lines);
      if (i < 0) return st;
      continue;
    }
    const end = valueEnd(text, i);
    if (end < 0) return cut(st, file, lines.of(i));
    topLevelField(st, key, text.slice(i, end));
    i = end;
  }
}

function topLevelField(st: TrainerState, key: string, raw: string): void {
  try {
    const v = parsePythonJson(raw);
    if (typeof v === 'number') st.fields[key] = v;
  } catch {
    // Fields other than log_history only inform (logging_steps, global_step): a bad one is left out.
  }
}

function cut(st: TrainerState, file: string, line: number): TrainerState {
  st.truncated = true;
  st.problems.push({
    file,
    line,
    message: 'the file ends inside the JSON document (still being written, or cut short); entries before it are kept',
  });
  return st;
}

function bad(st: TrainerState, file: string, line: number, message: string): TrainerState {
  st.problems.push({ file, line, message: `${message}; the rest of the file is not read` });
  return st;
}

/** Read log_history's elements from `i` (after its '['); returns the index after its ']', or -1 when the text ends first. */
function readLogHistory(st: TrainerState, file: string, text: string, i: number, lines: Lines): number {
  for (;;) {
    i = skipSpace(text, i);
    if (i >= text.length) return (cut(st, file, lines.of(i)), -1);
    const c = text[i];
    if (c === ']') return i + 1;
    if (c === ',') {
      i++;
      continue;
    }
    const end = valueEnd(text, i);
    const line = lines.of(i);
    if (end < 0) return (cut(st, file, line), -1);
    if (end === i) return (bad(st, file, line, `unexpected '${c}' in log_history`), -1);
    logHistoryEntry(st, file, line, text.slice(i, end));
    i = end;
  }
}

function logHistoryEntry(st: TrainerState, file: string, line: number, raw: string): void {
  let v: unknown;
  try {
    v = parsePythonJson(raw);
  } catch (e) {
    st.problems.push({ file, line, message: `log_history entry is not valid JSON: ${(e as Error).message}` });
    return;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    st.problems.push({ file, line, message: 'log_history entry is not an object' });
    return;
  }
  const values = numericValues(v as Record<string, unknown>);
  const step = values.step;
  if (typeof step !== 'number' || !Number.isInteger(step)) {
    st.problems.push({ file, line, message: 'log_history entry has no integer "step"' });
    return;
  }
  delete values.step;
  st.entries.push({ kind: entryKind(values), step, stepFrom: 'file', values, file, line });
}

/** The numbers of a dict (booleans and strings are not metrics). */
export function numericValues(o: Record<string, unknown>): Record<string, number> {
  const values: Record<string, number> = {};
  for (const [k, x] of Object.entries(o)) if (typeof x === 'number') values[k] = x;
  return values;
}

/** Evaluation (`eval_*` keys), the run's final summary (`train_runtime`), or a training step. */
export function entryKind(values: Record<string, number>): MetricEntry['kind'] {
  for (const k in values) {
    if (k.startsWith('eval_')) return 'eval';
    if (k === 'train_runtime') return 'summary';
  }
  return 'train';
}
