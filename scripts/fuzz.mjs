// npm run fuzz: a seeded mutation fuzzer of the results-file index (issue 10). It mutates the repository's
// own results files (samples/*.jsonl, test/fixtures/*) with byte flips, truncation, duplicated, removed
// and swapped lines, inserted NUL/CR/garbage, line-ending changes and JSON-level edits (a key dropped,
// a value of the wrong type, huge strings within the record size limit), then checks on every input:
//   - nothing crashes or hangs (a watchdog per input; a hang or a crash is reported and the run goes on);
//   - a JSONL index accounts for every non-blank line (one entry or one problem each), a valid JSON
//     array for every element; every entry reads back as a record; the summary counts every entry;
//   - the index equals a fresh index of the same file (built twice; update() of the unchanged file;
//     a prefix indexed, the rest appended and update() against a fresh build of the whole);
//   - the CLI's streaming summary (no index) equals the index's summary under both rules, and refuses
//     exactly the files the index refuses;
//   - the input file is never changed (hashed before and after).
//   - every 10th input (--cli-every N; 0: none) also goes through dist/cli.js: validate and summary --json
//     exit 0 or 1 and say what the index says, never an internal error or a stack trace.
// Usage: node scripts/fuzz.mjs [--seed N] [--count N] [--timeout-ms N] [--only I] [--ci] [--save DIR] [--json]
//                              [--plant counts|input-changed|hang|crash|stream-summary]
//   needs `npm run build && npm run compile-tests` (npm run fuzz does both). Exit status 1 on any failure.
//   --ci: avoids the classes in KNOWN below (open when the fuzzer was written, fixed since), for a faster
//   run; without it those checks run too and report their class.
//   --plant: a fault planted on the first input, to show that the checks, the watchdog and the crash
//   recovery catch it (the unit test runs each; the run must then fail).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/**
 * Classes of failure that issue 10 assigned to other points when the fuzzer was written; all three are
 * fixed since (the bounded run of the unit tests checks them). --ci still avoids them (the mutation or
 * the check named), for a faster run; any other run checks them and reports failures under their class.
 */
const KNOWN = {
  // Point 7: one NUL byte in the first 64 KiB rejects the whole file as binary. --ci inserts no NUL
  // there (a flipped byte that would become NUL becomes 0x01).
  nul: 'issue 10 point 7: a NUL byte in the first 64 KiB rejects the whole file',
  // Point 10: update() misses an edit that keeps the file's size. --ci does not edit in place.
  sameSize: 'issue 10 point 10: update() misses a same-size edit',
  // Point 11: the two-halves index (forced here) gives id-less records of the second half the ids
  // line-1, line-2… again. --ci does not compare it.
  twoHalves: 'issue 10 point 11: the two-halves index differs from the one-pass index',
};

// --- arguments ----------------------------------------------------------------------------------
function parseArgs(argv) {
  const o = {
    seed: 1,
    count: 1000,
    timeoutMs: 30_000,
    only: undefined,
    ci: false,
    save: undefined,
    json: false,
    plant: undefined,
    cliEvery: 10,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a whole number`);
      return v;
    };
    if (a === '--seed') o.seed = num();
    else if (a === '--count') o.count = num();
    else if (a === '--timeout-ms') o.timeoutMs = num();
    else if (a === '--only') o.only = num();
    else if (a === '--cli-every') o.cliEvery = num();
    else if (a === '--ci') o.ci = true;
    else if (a === '--json') o.json = true;
    else if (a === '--save') o.save = argv[++i];
    else if (a === '--plant') o.plant = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

// --- seeded randomness --------------------------------------------------------------------------
/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (xs) => xs[next.int(xs.length)];
  return next;
}

/** The generator of input `i` of a run: inputs reproduce one by one (--only I). */
function inputRng(seed, i) {
  const h = createHash('sha256').update(`${seed}:${i}`).digest();
  return rng(h.readUInt32LE(0));
}

// --- sources ------------------------------------------------------------------------------------
function sources() {
  const dirs = [path.join(root, 'samples'), path.join(root, 'test/fixtures')];
  const out = [];
  for (const d of dirs) {
    for (const name of fs.readdirSync(d).sort()) {
      if (!/\.(jsonl|json)$/.test(name)) continue;
      out.push({ name, ext: path.extname(name), bytes: fs.readFileSync(path.join(d, name)) });
    }
  }
  if (!out.length) throw new Error('no source files in samples/ or test/fixtures/');
  return out;
}

// --- mutations ----------------------------------------------------------------------------------
const SNIFF = 64 * 1024;

function splitLines(buf) {
  const lines = [];
  let start = 0;
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, start)) {
    lines.push(buf.subarray(start, i));
    start = i + 1;
  }
  return { lines, tail: buf.subarray(start) };
}

function joinLines(lines, tail) {
  const parts = [];
  for (const l of lines) parts.push(l, Buffer.from('\n'));
  parts.push(tail);
  return Buffer.concat(parts);
}

/** Line-level mutations: the file's lines (LF-separated) as a list. */
function mutateLines(buf, r, kind) {
  const { lines, tail } = splitLines(buf);
  if (!lines.length) return buf;
  const k = r.int(lines.length);
  if (kind === 'dup-line') lines.splice(k, 0, lines[k]);
  else if (kind === 'drop-line') lines.splice(k, 1);
  else if (kind === 'swap-lines') [lines[k], lines[lines.length - 1]] = [lines[lines.length - 1], lines[k]];
  else if (kind === 'join-lines') lines.splice(k, 2, Buffer.concat([lines[k], lines[k + 1] ?? Buffer.alloc(0)]));
  else if (kind === 'blank-lines') lines.splice(k, 0, Buffer.from(''), Buffer.from('  \t'), Buffer.from('\r'));
  else if (kind === 'cut-line') lines[k] = lines[k].subarray(0, r.int(lines[k].length + 1));
  return joinLines(lines, tail);
}

const GARBAGE = [
  '\x00',
  '\r',
  '\r\n',
  '{',
  '}',
  '[',
  ']',
  '"',
  '\\',
  ',',
  ':',
  '\ufeff',
  '\u2028',
  '\ud800',
  'é',
  '\xff\xfe',
  'null',
  '{}',
  '\t',
];

/** Byte-level mutations. `ci`: no NUL byte lands in the first 64 KiB (KNOWN.nul). */
function mutateBytes(buf, r, kind, ci) {
  const at = r.int(buf.length + 1);
  const noNul = (pos, b) => (ci && b === 0 && pos < SNIFF ? 1 : b);
  if (kind === 'flip') {
    const out = Buffer.from(buf);
    for (let n = 1 + r.int(8); n > 0 && out.length; n--) {
      const p = r.int(out.length);
      out[p] = noNul(p, out[p] ^ (1 << r.int(8)));
    }
    return out;
  }
  if (kind === 'truncate') return buf.subarray(0, at);
  let ins;
  if (kind === 'nul') ins = Buffer.from([noNul(at, 0)]);
  else if (kind === 'cr') ins = Buffer.from('\r');
  else if (kind === 'bom') return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf]);
  else if (kind === 'crlf') return Buffer.from(buf.toString('latin1').replaceAll('\n', '\r\n'), 'latin1');
  else if (kind === 'cr-only') return Buffer.from(buf.toString('latin1').replaceAll('\n', '\r'), 'latin1');
  else {
    const s = Array.from({ length: 1 + r.int(6) }, () => r.pick(GARBAGE)).join('');
    ins = Buffer.from(ci ? s.replaceAll('\x00', '\x01') : s, s.includes('\xff') ? 'latin1' : 'utf8');
    if (ci && at < SNIFF) ins = Buffer.from(ins.map((b) => (b === 0 ? 1 : b)));
  }
  return Buffer.concat([buf.subarray(0, at), ins, buf.subarray(at)]);
}

const WRONG_TYPES = [null, 0, -1, 1e308, true, false, '', 'x', [], ['A'], {}, { a: 1 }, [[[]]]];

/** JSON-level mutation of one record: a key dropped, renamed or given a wrong type, a huge string. */
function mutateRecord(obj, r, hugeMax) {
  const keys = Object.keys(obj);
  const key = keys.length ? r.pick(keys) : 'id';
  const kind = r.pick(['drop-key', 'wrong-type', 'huge-string', 'rename-key', 'add-key', 'unicode', 'nest']);
  if (kind === 'drop-key') delete obj[key];
  else if (kind === 'wrong-type') obj[key] = structuredClone(r.pick(WRONG_TYPES));
  else if (kind === 'huge-string') obj[key] = r.pick(['<answer>A</answer>', 'x', 'Options: A. ', '\n']).repeat(1 + r.int(hugeMax));
  else if (kind === 'rename-key') {
    obj[`${key}_`] = obj[key];
    delete obj[key];
  } else if (kind === 'add-key') obj[r.pick(['k'.repeat(1 + r.int(1000)), '__proto__', 'constructor', ''])] = r.pick(WRONG_TYPES);
  else if (kind === 'unicode') obj[key] = `${String(obj[key])}\u0000\ud83d\ude00\u202e\ud800`;
  else obj[key] = { nested: [obj[key]] };
  return kind;
}

/** A JSON-level mutation of a JSONL line, or of one element of a JSON array. */
function mutateJson(buf, r, hugeMax) {
  const text = buf.toString('utf8');
  try {
    const doc = JSON.parse(text.replace(/^\ufeff/, ''));
    if (Array.isArray(doc) && doc.length) {
      const k = r.int(doc.length);
      if (doc[k] && typeof doc[k] === 'object') mutateRecord(doc[k], r, hugeMax);
      else doc[k] = r.pick(WRONG_TYPES);
      return Buffer.from(JSON.stringify(doc, null, r.pick([0, 2])));
    }
  } catch {
    // not one JSON document: JSONL, or damaged
  }
  const { lines, tail } = splitLines(buf);
  for (let tries = 0; tries < 5 && lines.length; tries++) {
    const k = r.int(lines.length);
    try {
      const obj = JSON.parse(lines[k].toString('utf8'));
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) continue;
      mutateRecord(obj, r, hugeMax);
      lines[k] = Buffer.from(JSON.stringify(obj));
      return joinLines(lines, tail);
    } catch {
      continue;
    }
  }
  return buf;
}

const LINE_KINDS = ['dup-line', 'drop-line', 'swap-lines', 'join-lines', 'blank-lines', 'cut-line'];
const BYTE_KINDS = ['flip', 'truncate', 'nul', 'cr', 'garbage', 'bom', 'crlf', 'cr-only'];

/** Input `i`: a source, an extension, and 1–4 mutations, all from the input's own generator. */
function makeInput(srcs, seed, i, ci) {
  const r = inputRng(seed, i);
  const src = r.pick(srcs);
  const ext = r() < 0.8 ? src.ext : r.pick(['.jsonl', '.json', '.txt', '']);
  let bytes = src.bytes;
  const applied = [];
  for (let n = 1 + r.int(4); n > 0; n--) {
    const group = r();
    let kind;
    if (group < 0.35) bytes = mutateLines(bytes, r, (kind = r.pick(LINE_KINDS)));
    else if (group < 0.7) bytes = mutateBytes(bytes, r, (kind = r.pick(BYTE_KINDS)), ci);
    else {
      kind = 'json';
      bytes = mutateJson(bytes, r, ci ? 1 << 16 : 1 << 20);
    }
    applied.push(kind);
  }
  return { source: src.name, ext, bytes, mutations: applied, r };
}

// --- checks (worker) ----------------------------------------------------------------------------
function core() {
  const index = require(path.join(root, 'out/src/core/index/index.js'));
  const summary = require(path.join(root, 'out/src/core/summary.js'));
  const stream = require(path.join(root, 'out/src/core/index/summaryBuilder.js'));
  return {
    ResultsIndex: index.ResultsIndex,
    NotResultsFileError: index.NotResultsFileError,
    summarise: summary.summarise,
    summariseFile: stream.summariseFile,
  };
}

/** What an index says, comparable with another's. */
function snapshot(ix) {
  return JSON.stringify({ format: ix.format, entries: ix.entries, problems: ix.problems, problemCount: ix.problemCount });
}

/** Where two indexes first differ, in a few words. */
function firstDifference(a, b) {
  if (a.format !== b.format) return `format ${a.format} / ${b.format}`;
  if (a.problemCount !== b.problemCount) return `problems ${a.problemCount} / ${b.problemCount}`;
  if (a.entries.length !== b.entries.length) return `entries ${a.entries.length} / ${b.entries.length}`;
  for (let k = 0; k < a.entries.length; k++) {
    for (const key of new Set([...Object.keys(a.entries[k]), ...Object.keys(b.entries[k])])) {
      const [x, y] = [JSON.stringify(a.entries[k][key]), JSON.stringify(b.entries[k][key])];
      if (x !== y) return `line ${a.entries[k].line}: ${key} ${x?.slice(0, 40)} / ${y?.slice(0, 40)}`;
    }
  }
  return 'the problems differ';
}

/**
 * The CLI's streaming summary (no index) must say what the summary of the index says, under both
 * rules, and refuse exactly the files the index refuses, with the same message.
 */
async function checkStreamSummary(c, file, first, fail, plant) {
  for (const evidence of ['memory', 'reread']) await checkStreamSummaryWith(c, file, first, fail, plant, evidence);
}

async function checkStreamSummaryWith(c, file, first, fail, plant, evidence) {
  let both;
  try {
    both = await c.summariseFile(file, { evidence });
    if (plant === 'stream-summary' && both) both.grpo_reward.overall.correct++;
  } catch (e) {
    if (!(e instanceof c.NotResultsFileError)) throw e;
    if (e.message !== first.rejected) fail('stream-summary', `refused: ${e.message}; the index: ${first.rejected ?? 'indexed'}`);
    return;
  }
  if (!first.index) return fail('stream-summary', `summarised a file the index refused (${first.rejected})`);
  for (const rule of ['mcq_infer', 'grpo_reward']) {
    const expected = JSON.stringify(c.summarise(first.index.file, first.index.entries, first.index.problemCount, rule));
    const got = JSON.stringify(both[rule]);
    if (got !== expected) fail('stream-summary', `${evidence}, ${rule}: ${got.slice(0, 300)} / the index: ${expected.slice(0, 300)}`);
  }
}

async function tryBuild(c, file, opts = {}) {
  try {
    return { index: await c.ResultsIndex.build(file, opts) };
  } catch (e) {
    if (e instanceof c.NotResultsFileError) return { rejected: e.message };
    throw e;
  }
}

function isJsonSpace(b) {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** JSONL: the 1-based numbers of the lines with anything but JSON white space (a leading BOM left out). */
function nonBlankLines(bytes) {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const { lines, tail } = splitLines(bytes.subarray(start));
  const out = [];
  [...lines, tail].forEach((l, k) => {
    if (l.some((b) => !isJsonSpace(b))) out.push(k + 1);
  });
  return out;
}

/** Every non-blank JSONL line is one entry or one problem; every element of a valid JSON array too. */
function checkAccounting(ix, bytes, fail) {
  if (ix.format === 'jsonl') {
    const expected = nonBlankLines(bytes);
    const seen = [...ix.entries.map((e) => e.line), ...ix.problems.map((p) => p.line)].sort((a, b) => a - b);
    if (ix.entries.length + ix.problemCount !== expected.length || JSON.stringify(seen) !== JSON.stringify(expected)) {
      const missing = expected.filter((l) => !seen.includes(l)).slice(0, 5);
      fail(
        'counts',
        `${expected.length} non-blank lines, ${ix.entries.length} entries + ${ix.problemCount} problems; not accounted for: ${missing}`,
      );
    }
    return;
  }
  let doc;
  try {
    doc = JSON.parse(bytes.toString('utf8').replace(/^\ufeff/, ''));
  } catch {
    return; // a damaged document: issue 10 point 8 (another helper) says what must be listed
  }
  if (Array.isArray(doc) && ix.entries.length + ix.problemCount !== doc.length) {
    fail('counts', `a JSON array of ${doc.length} elements: ${ix.entries.length} entries + ${ix.problemCount} problems`);
  }
}

/** Every entry reads back as a record; the summary counts every entry under both rules. */
async function checkReadBack(c, ix, fail) {
  let n = 0;
  for await (const _ of ix.records(ix.entries)) n++;
  if (n !== ix.entries.length) fail('read-back', `${ix.entries.length} entries, ${n} records read back`);
  for (const e of ix.entries.slice(0, 20)) {
    await ix.readRecord(e).catch((err) => fail('read-back', `line ${e.line}: ${err.message}`));
  }
  for (const rule of ['mcq_infer', 'grpo_reward']) {
    const s = c.summarise(ix.file, ix.entries, ix.problemCount, rule);
    if (s.records !== ix.entries.length) fail('summary', `${rule}: ${s.records} records for ${ix.entries.length} entries`);
  }
}

/** A prefix (cut at a line start) indexed, the rest appended, update(): the same as a fresh index. */
async function checkAppend(c, file, bytes, r, fail) {
  const { lines } = splitLines(bytes);
  if (lines.length < 2) return;
  let cut = 0; // the start of line k + 1: the first k lines are the prefix
  for (let k = 1 + r.int(lines.length - 1), j = 0; j < k; j++) cut += lines[j].length + 1;
  const grow = `${file}.grow${path.extname(file)}`;
  try {
    fs.writeFileSync(grow, bytes.subarray(0, cut));
    const first = await tryBuild(c, grow, { format: 'jsonl' });
    if (!first.index) return;
    fs.appendFileSync(grow, bytes.subarray(cut));
    const kind = await first.index.update().catch((e) => (e instanceof c.NotResultsFileError ? 'rejected' : Promise.reject(e)));
    const fresh = await tryBuild(c, grow, { format: 'jsonl' });
    if (kind === 'rejected' || !fresh.index) {
      if ((kind === 'rejected') !== !fresh.index) fail('append', `update ${kind}, a fresh build ${fresh.rejected ?? 'indexed it'}`);
      return;
    }
    if (snapshot(first.index) !== snapshot(fresh.index)) {
      fail('append', `update() after appending (${kind}) differs from a fresh index: ${firstDifference(first.index, fresh.index)}`);
    }
  } finally {
    fs.rmSync(grow, { force: true });
  }
}

/** The known classes (long runs only): NUL rejection, same-size edits, the two-halves index. */
async function checkKnown(c, file, bytes, first, r, fail) {
  if (first.rejected) {
    const valid = splitLines(bytes).lines.some((l) => {
      try {
        const v = JSON.parse(l.toString('utf8'));
        return v && typeof v === 'object' && 'response' in v;
      } catch {
        return false;
      }
    });
    if (/NUL byte/.test(first.rejected) && valid) fail('known:nul', KNOWN.nul);
    return;
  }
  const ix = first.index;
  if (ix.format === 'jsonl') {
    const worker = path.join(root, 'dist/index-worker.js');
    const two = await tryBuild(c, file, { workerScript: worker, parallelMinBytes: 0, parallelMinCores: 1 });
    if (!two.index) fail('known:two-halves', `${KNOWN.twoHalves}: ${two.rejected}`);
    else if (snapshot(two.index) !== snapshot(ix)) fail('known:two-halves', `${KNOWN.twoHalves}: ${firstDifference(two.index, ix)}`);
  }
  await checkSameSize(c, file, bytes, r, fail);
}

async function checkSameSize(c, file, bytes, r, fail) {
  const at = bytes.indexOf('<answer>', r.int(Math.max(1, bytes.length)));
  if (at < 0 || at + 8 >= bytes.length) return;
  const copy = `${file}.edit${path.extname(file)}`;
  try {
    fs.writeFileSync(copy, bytes);
    const first = await tryBuild(c, copy);
    if (!first.index) return;
    const edited = Buffer.from(bytes);
    edited[at + 8] = edited[at + 8] === 0x41 ? 0x42 : 0x41; // the letter after <answer>: A ↔ B
    fs.writeFileSync(copy, edited);
    await first.index.update().catch(() => undefined);
    const fresh = await tryBuild(c, copy);
    if (fresh.index && snapshot(fresh.index) !== snapshot(first.index)) {
      fail('known:same-size', `${KNOWN.sameSize}: ${firstDifference(first.index, fresh.index)}`);
    }
  } finally {
    fs.rmSync(copy, { force: true });
  }
}

/**
 * Through the CLI as shipped (dist/cli.js), every `cliEvery`-th input: validate and summary --json exit
 * 0 or 1 with what the index says, and never with an internal error or a stack trace.
 */
function checkCli(file, first, fail) {
  const cli = path.join(root, 'dist/cli.js');
  const run = (...args) => spawnSync(process.execPath, [cli, ...args, file], { encoding: 'utf8', timeout: 60_000 });
  const v = run('validate');
  const s = run('summary', '--json');
  for (const [name, r] of [
    ['validate', v],
    ['summary', s],
  ]) {
    if (r.error || r.status === null || r.status > 1 || /internal error|^\s+at /m.test(r.stderr)) {
      fail('cli', `${name} exited ${r.status ?? r.signal}: ${(r.error?.message ?? r.stderr).slice(0, 300)}`);
      return;
    }
  }
  if (first.rejected) {
    if (v.status !== 1 || s.status !== 1 || !/not a results file/.test(v.stderr))
      fail('cli', `a file the index refuses: validate ${v.status}, summary ${s.status}`);
    return;
  }
  const ix = first.index;
  const listed = v.stdout.split('\n').filter((l) => /:\d+: /.test(l) && l.startsWith(ix.file)).length;
  if (v.status !== (ix.problemCount ? 1 : 0) || listed !== ix.problems.length) {
    fail('cli', `validate exited ${v.status} listing ${listed} problems; the index has ${ix.problemCount}`);
  }
  const sum = s.status === 0 ? JSON.parse(s.stdout) : undefined;
  if (!sum || sum.records !== ix.entries.length || sum.invalid !== ix.problemCount) {
    fail(
      'cli',
      `summary --json exited ${s.status}: ${sum?.records} records, ${sum?.invalid} invalid; ` +
        `the index: ${ix.entries.length}, ${ix.problemCount}`,
    );
  }
}

const sha = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** All checks of one input; returns the failures (a check that throws is a crash). */
async function checkInput(c, file, input, { ci, plant, cli }) {
  const failures = [];
  const fail = (check, message) => failures.push({ check, message });
  const before = sha(file);
  const guard = (check) => (e) => fail(check, `crash: ${e?.stack ?? e}`);
  const first = await tryBuild(c, file).catch(guard('build'));
  if (first) {
    const second = await tryBuild(c, file).catch(guard('build'));
    const same = (a, b) => (a?.rejected ?? snapshot(a?.index ?? {})) === (b?.rejected ?? snapshot(b?.index ?? {}));
    if (second && !same(first, second)) fail('determinism', 'two builds of the same file differ');
    if (first.index) {
      if (plant === 'counts') first.index.problems.push({ line: 0, offset: 0, message: 'planted' });
      if (plant === 'input-changed') fs.appendFileSync(file, '\n');
      checkAccounting(first.index, input.bytes, fail);
      await checkReadBack(c, first.index, fail).catch(guard('read-back'));
      const kind = await first.index.update().catch(guard('update'));
      if (kind !== undefined && kind !== 'unchanged') fail('update', `update() of an unchanged file said ${kind}`);
      if (second?.index && snapshot(first.index) !== snapshot(second.index))
        fail('update', 'update() of an unchanged file changed the index');
      if (first.index.format === 'jsonl') await checkAppend(c, file, input.bytes, input.r, fail).catch(guard('append'));
    }
    await checkStreamSummary(c, file, first, fail, plant).catch(guard('stream-summary'));
    if (cli) checkCli(file, first, fail);
    if (!ci) await checkKnown(c, file, input.bytes, first, input.r, fail).catch(guard('known'));
  }
  if (sha(file) !== before) fail('input-changed', 'the input file changed');
  return { outcome: first?.index ? 'indexed' : first?.rejected ? 'rejected' : 'crashed', failures };
}

async function workerMain() {
  const { seed, from, to, ci, tmp, plant, cliEvery } = workerData;
  const c = core();
  const srcs = sources();
  for (let i = from; i < to; i++) {
    const input = makeInput(srcs, seed, i, ci);
    const file = path.join(tmp, `input-${i}${input.ext}`);
    fs.writeFileSync(file, input.bytes);
    parentPort.postMessage({ type: 'start', i, file, source: input.source, mutations: input.mutations });
    const planted = i === from ? plant : undefined;
    if (planted === 'hang') for (;;);
    if (planted === 'crash') throw new Error('a planted crash');
    const res = await checkInput(c, file, input, { ci, plant: planted, cli: cliEvery > 0 && i % cliEvery === 0 });
    parentPort.postMessage({ type: 'done', i, ...res });
    if (!res.failures.length) fs.rmSync(file, { force: true });
  }
  parentPort.postMessage({ type: 'finished' });
}

// --- the run (main thread) ----------------------------------------------------------------------
/** Run inputs [from, to) in a worker; resolves with where it stopped and why (finished, hang, crash). */
function runWorker(o, from, to, tmp, report) {
  return new Promise((resolve) => {
    const w = new Worker(fileURLToPath(import.meta.url), {
      workerData: { seed: o.seed, from, to, ci: o.ci, tmp, cliEvery: o.cliEvery, plant: from === (o.only ?? 0) ? o.plant : undefined },
    });
    let current;
    let timer;
    let stopped = false;
    const stop = (result) => {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      w.removeAllListeners();
      void w.terminate();
      resolve(result);
    };
    w.on('message', (m) => {
      if (m.type === 'start') {
        current = m;
        clearTimeout(timer);
        timer = setTimeout(
          () => stop({ next: m.i + 1, failed: { ...m, check: 'hang', message: `no result in ${o.timeoutMs} ms` } }),
          o.timeoutMs,
        );
      } else if (m.type === 'done') {
        clearTimeout(timer);
        report.outcomes[m.outcome] = (report.outcomes[m.outcome] ?? 0) + 1;
        for (const f of m.failures) report.failures.push({ ...current, ...f });
        report.inputs++;
      } else if (m.type === 'finished') stop({ next: to });
    });
    // The worker's last messages can come after its 'error' or 'exit': wait for them, then blame the input under way.
    const crashed = (why) => {
      clearTimeout(timer);
      setTimeout(() => stop({ next: (current?.i ?? from) + 1, failed: { i: from, ...current, check: 'crash', message: why } }), 200);
    };
    w.on('error', (e) => crashed(`worker error: ${e?.stack ?? e}`));
    w.on('exit', (code) => crashed(`worker exited with ${code}`));
  });
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  for (const f of ['out/src/core/index/index.js', 'dist/cli.js', ...(o.ci ? [] : ['dist/index-worker.js'])]) {
    if (!fs.existsSync(path.join(root, f))) throw new Error(`${f} is missing: run npm run build && npm run compile-tests`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-fuzz-'));
  const report = { seed: o.seed, ci: o.ci, inputs: 0, outcomes: {}, failures: [], ms: 0 };
  const t0 = Date.now();
  let from = o.only ?? 0;
  const to = o.only !== undefined ? o.only + 1 : o.count;
  while (from < to) {
    const res = await runWorker(o, from, to, tmp, report);
    if (res.failed) {
      report.inputs++;
      report.outcomes[res.failed.check] = (report.outcomes[res.failed.check] ?? 0) + 1;
      report.failures.push(res.failed);
    }
    from = res.next;
  }
  report.ms = Date.now() - t0;
  saveFailures(o, tmp, report);
  fs.rmSync(tmp, { recursive: true, force: true });
  printReport(o, report);
  process.exitCode = report.failures.length ? 1 : 0;
}

/** Failing inputs are kept (--save DIR, else a folder under the temporary directory) to reproduce them. */
function saveFailures(o, tmp, report) {
  if (!report.failures.length) return;
  const dir = o.save ?? fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-fuzz-failures-'));
  fs.mkdirSync(dir, { recursive: true });
  for (const f of report.failures) {
    if (!f.file || !fs.existsSync(f.file)) continue;
    const dest = path.join(dir, path.basename(f.file));
    fs.copyFileSync(f.file, dest);
    f.file = dest;
  }
  report.savedTo = dir;
  void tmp;
}

function printReport(o, report) {
  if (o.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  const outcomes = Object.entries(report.outcomes)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  process.stdout.write(
    `fuzz: seed ${report.seed}, ${report.inputs} inputs in ${report.ms} ms (${outcomes}); ${report.failures.length} failures\n`,
  );
  const byCheck = new Map();
  for (const f of report.failures) byCheck.set(f.check, [...(byCheck.get(f.check) ?? []), f]);
  for (const [check, fs_] of byCheck) {
    process.stdout.write(`\n${check}: ${fs_.length}\n`);
    for (const f of fs_.slice(0, 5)) {
      process.stdout.write(
        `  input ${f.i} (--seed ${report.seed} --only ${f.i}) ${f.source} ${f.mutations?.join('+')}: ` +
          `${f.message.split('\n')[0]}\n    ${f.file ?? ''}\n`,
      );
    }
  }
}

if (isMainThread) {
  main().catch((e) => {
    process.stderr.write(`fuzz: ${e?.stack ?? e}\n`);
    process.exitCode = 2;
  });
} else {
  workerMain().catch((e) => {
    // An exception that escapes the checks: the main thread reports the input under way as a crash.
    throw e;
  });
}
