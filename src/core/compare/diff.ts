/**
 * Diffs of two reasoning chains: words added and removed within sentences, and sentences matched
 * even when they moved. The word diff is Myers' O(ND) algorithm in linear space (the middle-snake
 * divide and conquer), run on integer token ids, with an explicit stack instead of recursion.
 */

export const DIFF_OPS = ['equal', 'insert', 'delete'] as const;
export type DiffOp = { op: (typeof DIFF_OPS)[number]; text: string };

/**
 * Tokens that concatenate back to the text exactly: runs of white space, words (letters, digits,
 * underscore), single CJK characters (scripts written without spaces), and any other single code
 * point (punctuation, emoji).
 */
export function tokenize(text: string): string[] {
  return text.match(/\s+|[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[\p{L}\p{M}\p{N}_]+|[^]/gu) ?? [];
}

/**
 * The edit script turning `a` into `b`, word by word. Equal neighbours are merged, and between two
 * equal runs the words removed come before the words added.
 */
export function diffWords(a: string, b: string): DiffOp[] {
  return diffTokens(tokenize(a), tokenize(b));
}

export function diffTokens(ta: readonly string[], tb: readonly string[]): DiffOp[] {
  const ids = new Map<string, number>();
  const id = (t: string) => {
    let v = ids.get(t);
    if (v === undefined) ids.set(t, (v = ids.size));
    return v;
  };
  const A = Int32Array.from(ta, id);
  const B = Int32Array.from(tb, id);
  const out: DiffOp[] = [];
  const push = (op: DiffOp['op'], tokens: readonly string[], from: number, to: number) => {
    if (from >= to) return;
    const text = tokens.slice(from, to).join('');
    const last = out[out.length - 1];
    if (last && last.op === op) last.text += text;
    else if (op === 'delete' && last?.op === 'insert') {
      // Removed before added within a change: the same edit, read in the order a person expects.
      const before = out[out.length - 2];
      if (before?.op === 'delete') before.text += text;
      else out.splice(out.length - 1, 0, { op, text });
    } else out.push({ op, text });
  };
  // Work items: a range to diff, or a snake of equal tokens to emit. LIFO: push right, snake, left.
  type Item = { aLo: number; aHi: number; bLo: number; bHi: number } | { equalFrom: number; equalTo: number };
  const stack: Item[] = [{ aLo: 0, aHi: A.length, bLo: 0, bHi: B.length }];
  const max = A.length + B.length + 2;
  const vf = new Int32Array(2 * max + 2);
  const vb = new Int32Array(2 * max + 2);
  while (stack.length) {
    const item = stack.pop()!;
    if ('equalFrom' in item) {
      push('equal', ta, item.equalFrom, item.equalTo);
      continue;
    }
    let { aLo, aHi, bLo, bHi } = item;
    // Common prefix and suffix.
    let pre = 0;
    while (aLo + pre < aHi && bLo + pre < bHi && A[aLo + pre] === B[bLo + pre]) pre++;
    let suf = 0;
    while (aHi - suf > aLo + pre && bHi - suf > bLo + pre && A[aHi - 1 - suf] === B[bHi - 1 - suf]) suf++;
    if (suf) stack.push({ equalFrom: aHi - suf, equalTo: aHi });
    const prefixEnd = aLo + pre;
    aHi -= suf;
    bHi -= suf;
    aLo += pre;
    bLo += pre;
    // Emitted now: this range's start; the suffix waits on the stack under the middle's items.
    push('equal', ta, prefixEnd - pre, prefixEnd);
    if (aLo === aHi || bLo === bHi) {
      push('delete', ta, aLo, aHi);
      push('insert', tb, bLo, bHi);
      continue;
    }
    const s = middleSnake(A, B, aLo, aHi, bLo, bHi, vf, vb);
    stack.push({ aLo: aLo + s.u, aHi, bLo: bLo + s.v, bHi });
    if (s.u > s.x) stack.push({ equalFrom: aLo + s.x, equalTo: aLo + s.u });
    stack.push({ aLo, aHi: aLo + s.x, bLo, bHi: bLo + s.y });
  }
  return out;
}

/**
 * Myers' middle snake of A[aLo,aHi) against B[bLo,bHi) (both non-empty, no common prefix or
 * suffix): the snake (x,y)→(u,v), in coordinates relative to (aLo,bLo), that lies on an optimal path.
 */
function middleSnake(
  A: Int32Array,
  B: Int32Array,
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
  vf: Int32Array,
  vb: Int32Array,
): { x: number; y: number; u: number; v: number } {
  const N = aHi - aLo;
  const M = bHi - bLo;
  const delta = N - M;
  const odd = (delta & 1) !== 0;
  const dMax = Math.ceil((N + M) / 2);
  const off = dMax + 1;
  vf[off + 1] = 0;
  vb[off + 1] = 0;
  for (let d = 0; d <= dMax; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && vf[off + k - 1] < vf[off + k + 1]) ? vf[off + k + 1] : vf[off + k - 1] + 1;
      let y = x - k;
      const x0 = x;
      const y0 = y;
      while (x < N && y < M && A[aLo + x] === B[bLo + y]) {
        x++;
        y++;
      }
      vf[off + k] = x;
      const kb = delta - k;
      if (odd && kb >= -(d - 1) && kb <= d - 1 && x + vb[off + kb] >= N) return { x: x0, y: y0, u: x, v: y };
    }
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && vb[off + k - 1] < vb[off + k + 1]) ? vb[off + k + 1] : vb[off + k - 1] + 1;
      let y = x - k;
      const x0 = x;
      const y0 = y;
      while (x < N && y < M && A[aHi - 1 - x] === B[bHi - 1 - y]) {
        x++;
        y++;
      }
      vb[off + k] = x;
      const kf = delta - k;
      if (!odd && kf >= -d && kf <= d && x + vf[off + kf] >= N) return { x: N - x, y: M - y, u: N - x0, v: M - y0 };
    }
  }
  throw new Error('middle snake not found (unreachable)');
}

/** Apply an edit script to `a`: the result must be `b` (used by tests and assertions). */
export function applyDiff(a: string, ops: readonly DiffOp[]): string {
  let i = 0;
  let out = '';
  for (const o of ops) {
    if (o.op === 'insert') out += o.text;
    else {
      if (a.slice(i, i + o.text.length) !== o.text) throw new Error(`edit script does not match the source at ${i}`);
      i += o.text.length;
      if (o.op === 'equal') out += o.text;
    }
  }
  if (i !== a.length) throw new Error(`edit script leaves ${a.length - i} characters of the source`);
  return out;
}

/** One sentence of the aligned pair of chains. */
export interface SentencePair {
  /** Index of the sentence in A / in B (absent when only the other side has it). */
  a?: number;
  b?: number;
  /** Matched, but in another place relative to the other matched sentences. */
  moved: boolean;
  /** The word diff of the two sentences (only a delete or only an insert when unmatched). */
  ops: DiffOp[];
}

export interface ChainDiff {
  sentencesA: string[];
  sentencesB: string[];
  /**
   * In B's order; each of A's unmatched sentences after the pair before it in A, and before B's
   * unmatched sentences of the same stretch (removed above added).
   */
  pairs: SentencePair[];
}

/** Sentences that concatenate back to the text (each keeps the white space after it). */
export function sentenceSpans(text: string): string[] {
  return text.match(/[^.!?。！？\n]*(?:[.!?。！？]+|\n|$)\s*/gu)?.filter((s) => s.length > 0) ?? [];
}

function wordSet(s: string): Set<string> {
  return new Set(tokenize(s.toLowerCase()).filter((t) => /[\p{L}\p{N}]/u.test(t)));
}

/** How many words two word sets share. */
function common(a: Set<string>, b: Set<string>): number {
  let n = 0;
  for (const w of a) if (b.has(w)) n++;
  return n;
}

/**
 * Align two chains sentence by sentence: equal sentences first (wherever they are), then the most
 * similar remaining ones (Dice word overlap ≥ 0.5), then, between two pairs in order, sentences
 * that keep most of the shorter one's words in order (a sentence edited and lengthened, see
 * pairEditedInGaps); matched pairs out of order are marked as moved; each pair gets its word diff.
 * Where a stretch has sentences only in A and only in B, A's come first (removed above added).
 * Cost: sentences² word-set comparisons plus short word diffs, the extra ones capped (GAP_LIMITS).
 */
export function diffChains(a: string, b: string): ChainDiff {
  const sa = sentenceSpans(a);
  const sb = sentenceSpans(b);
  const matchOfA = new Array<number>(sa.length).fill(-1);
  const takenB = new Array<boolean>(sb.length).fill(false);
  const link = (i: number, j: number) => {
    matchOfA[i] = j;
    takenB[j] = true;
  };
  matchEqual(sa, sb, link);
  const setsA = sa.map(wordSet);
  const setsB = sb.map(wordSet);
  const candidates: { i: number; j: number; sim: number }[] = [];
  // Pairs under Dice's 0.5 that still share most of the shorter sentence's words: edits, maybe.
  const edits: { i: number; j: number }[] = [];
  for (let i = 0; i < sa.length; i++) {
    if (matchOfA[i] >= 0) continue;
    for (let j = 0; j < sb.length; j++) {
      if (takenB[j]) continue;
      const n = common(setsA[i], setsB[j]);
      const x = setsA[i].size;
      const y = setsB[j].size;
      const sim = x + y ? (2 * n) / (x + y) : 1;
      if (sim >= 0.5) candidates.push({ i, j, sim });
      else if (n >= 2 && n >= 0.6 * (x < y ? x : y)) edits.push({ i, j });
    }
  }
  candidates.sort((x, y) => y.sim - x.sim || Math.abs(x.i - x.j) - Math.abs(y.i - y.j));
  for (const c of candidates) if (matchOfA[c.i] < 0 && !takenB[c.j]) link(c.i, c.j);
  pairEditedInGaps(sa, sb, edits, matchOfA, takenB, inOrderPairs(matchOfA), link);
  return { sentencesA: sa, sentencesB: sb, pairs: layOut(sa, sb, matchOfA, new Set(inOrderPairs(matchOfA).map((p) => p.i))) };
}

/** Pair sentences equal up to case and white space, the first unmatched B for each A in order. */
function matchEqual(sa: readonly string[], sb: readonly string[], link: (i: number, j: number) => void): void {
  const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
  const byText = new Map<string, number[]>();
  sb.forEach((s, j) => {
    const k = norm(s);
    const list = byText.get(k);
    if (list) list.push(j);
    else byText.set(k, [j]);
  });
  sa.forEach((s, i) => {
    const j = byText.get(norm(s))?.shift();
    if (j !== undefined) link(i, j);
  });
}

/** The matched pairs on one longest run that keeps both orders (LIS over B indices in A order), in A order. */
function inOrderPairs(matchOfA: readonly number[]): { i: number; j: number }[] {
  const matched = matchOfA.map((j, i) => ({ i, j })).filter((p) => p.j >= 0);
  return longestIncreasing(matched.map((p) => p.j)).map((k) => matched[k]);
}

/**
 * Bounds of the word-level pass of pairEditedInGaps: sentences longer than `words` words are left
 * out, and at most `diffs` word diffs are run per chain pair.
 */
export const GAP_LIMITS = { words: 120, diffs: 400 };

/** The words of a sentence, lower-cased, in order (white space and punctuation left out). */
function wordList(s: string): string[] {
  return tokenize(s.toLowerCase()).filter((t) => /[\p{L}\p{N}]/u.test(t));
}

/**
 * Between two consecutive pairs in order, pair the sentences left on each side when one is an edit
 * of the other: a word changed and a clause appended halves Dice's overlap, but the shorter
 * sentence's words are still mostly there, in order. The `edits` were judged by word sets (at least
 * 60% of the shorter one's distinct words in the other); each in one stretch is then judged by a
 * capped word diff: the words kept in order are ≥ 2, ≥ 60% of the shorter sentence and ≥ 30% of
 * both together. Best first; a pair crossing one already taken is skipped (so none is marked moved).
 */
function pairEditedInGaps(
  sa: readonly string[],
  sb: readonly string[],
  edits: readonly { i: number; j: number }[],
  matchOfA: readonly number[],
  takenB: readonly boolean[],
  anchors: readonly { i: number; j: number }[],
  link: (i: number, j: number) => void,
): void {
  if (!edits.length) return;
  // The stretch each sentence lies in: how many pairs in order come before it.
  const stretchA = new Int32Array(sa.length);
  const stretchB = new Int32Array(sb.length);
  anchors.forEach((p, k) => {
    const next = anchors[k + 1] ?? { i: sa.length - 1, j: sb.length - 1 };
    stretchA.fill(k + 1, p.i + 1, next.i + 1);
    stretchB.fill(k + 1, p.j + 1, next.j + 1);
  });
  let diffs = 0;
  const found: { i: number; j: number; score: number }[] = [];
  for (const { i, j } of edits) {
    if (matchOfA[i] >= 0 || takenB[j] || stretchA[i] !== stretchB[j] || diffs >= GAP_LIMITS.diffs) continue;
    const wa = wordList(sa[i]);
    const wb = wordList(sb[j]);
    if (wa.length > GAP_LIMITS.words || wb.length > GAP_LIMITS.words) continue;
    diffs++;
    const kept = keptWords(wa, wb);
    if (kept >= 2 && kept >= 0.6 * Math.min(wa.length, wb.length) && 2 * kept >= 0.3 * (wa.length + wb.length))
      found.push({ i, j, score: kept / Math.max(wa.length, wb.length) });
  }
  found.sort((x, y) => y.score - x.score || x.i - y.i || x.j - y.j);
  const taken: { i: number; j: number }[] = [];
  for (const f of found) {
    if (taken.some((t) => t.i === f.i || t.j === f.j || t.i < f.i !== t.j < f.j)) continue;
    taken.push(f);
    link(f.i, f.j);
  }
}
/**
 * How many words of `wa` stay, in order, in `wb` (their longest common subsequence), by the word
 * diff run on one code unit per distinct word, so that the equal runs' lengths count the words.
 */
function keptWords(wa: readonly string[], wb: readonly string[]): number {
  const ids = new Map<string, string>();
  const unit = (w: string) => {
    let u = ids.get(w);
    if (u === undefined) ids.set(w, (u = String.fromCharCode(0xe000 + ids.size)));
    return u;
  };
  const ops = diffTokens(wa.map(unit), wb.map(unit));
  return ops.reduce((n, o) => (o.op === 'equal' ? n + o.text.length : n), 0);
}

/**
 * The pairs in B's order. A's unmatched sentences go before the next pair in order that follows
 * them in A, and before any of B's unmatched sentences of the same stretch: removed above added.
 */
function layOut(sa: readonly string[], sb: readonly string[], matchOfA: readonly number[], inOrder: Set<number>): SentencePair[] {
  const pairs: SentencePair[] = [];
  const aOfB = new Array<number>(sb.length).fill(-1);
  matchOfA.forEach((j, i) => {
    if (j >= 0) aOfB[j] = i;
  });
  // For each B position, the A index of the next pair in order at or after it (A's length if none).
  const nextAnchorA = new Array<number>(sb.length + 1).fill(sa.length);
  for (let j = sb.length - 1; j >= 0; j--) nextAnchorA[j] = aOfB[j] >= 0 && inOrder.has(aOfB[j]) ? aOfB[j] : nextAnchorA[j + 1];
  let nextA = 0;
  const flushDeletedUpTo = (limit: number) => {
    for (; nextA < limit; nextA++)
      if (matchOfA[nextA] < 0) pairs.push({ a: nextA, moved: false, ops: [{ op: 'delete', text: sa[nextA] }] });
  };
  for (let j = 0; j < sb.length; j++) {
    const i = aOfB[j];
    if (i < 0) {
      flushDeletedUpTo(nextAnchorA[j]);
      pairs.push({ b: j, moved: false, ops: [{ op: 'insert', text: sb[j] }] });
      continue;
    }
    const moved = !inOrder.has(i);
    if (!moved) flushDeletedUpTo(i + 1);
    pairs.push({ a: i, b: j, moved, ops: diffWords(sa[i], sb[j]) });
  }
  flushDeletedUpTo(sa.length);
  return pairs;
}

/** Positions (into `xs`) of one longest strictly increasing subsequence, O(n log n). */
function longestIncreasing(xs: readonly number[]): number[] {
  const tails: number[] = [];
  const prev = new Array<number>(xs.length).fill(-1);
  for (let k = 0; k < xs.length; k++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[tails[mid]] < xs[k]) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[k] = tails[lo - 1];
    tails[lo] = k;
  }
  const out: number[] = [];
  for (let k = tails.length ? tails[tails.length - 1] : -1; k >= 0; k = prev[k]) out.push(k);
  return out.reverse();
}

/** Counts of an aligned pair of chains: sentences the same, changed within, moved, only in A or B. */
export function chainDiffStats(d: Pick<ChainDiff, 'pairs'>): {
  same: number;
  changed: number;
  moved: number;
  onlyA: number;
  onlyB: number;
} {
  const out = { same: 0, changed: 0, moved: 0, onlyA: 0, onlyB: 0 };
  for (const p of d.pairs) {
    if (p.b === undefined) out.onlyA++;
    else if (p.a === undefined) out.onlyB++;
    else {
      if (p.moved) out.moved++;
      if (p.ops.every((o) => o.op === 'equal')) out.same++;
      else out.changed++;
    }
  }
  return out;
}
