/**
 * ActionPartners' storage (categories.ts): records in blocks of 4,096 and trigrams in blocks of
 * 65,536 ints, a record with more trigrams than a block in a block of its own. The decisions must not
 * depend on where the blocks end: checked against a plain reading of the rule (optionPhrases and
 * sharedPhrases, every pair compared) on a file large enough to cross every kind of boundary, and
 * through a worker's pack and merge.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTION_PHRASES_MIN, ActionPartners, optionPhrases, PartnerRole, sharedPhrases } from '../../src/core/categories';
import type { OptionItem } from '../../src/core/schemas';

interface Rec {
  entry: number;
  role: PartnerRole;
  video: string;
  question: string;
  options: OptionItem[];
}

const WORDS = 'turn left right walk pass door stairs table chair sofa kitchen hallway lamp window desk bed'.split(' ');

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Records on `videos` videos, roles mixed, option texts from a small vocabulary so trigrams are shared; a few huge ones. */
function makeRecords(n: number, videos: number, seed: number): Rec[] {
  const r = rng(seed);
  const words = (k: number) => Array.from({ length: k }, () => WORDS[Math.floor(r() * 6)]).join(' ');
  const out: Rec[] = [];
  for (let i = 0; i < n; i++) {
    const roles = [PartnerRole.Candidate, PartnerRole.ReverseAction, PartnerRole.ReverseLandmark];
    const role = roles[Math.floor(r() * 3)];
    // Every 997th record has one option of 70,000 words: more trigrams than a pool block holds.
    const big = i % 997 === 5;
    const text = (k: number) => (big && k === 0 ? words(70_000) : words(6 + Math.floor(r() * 8)));
    const options = ['A', 'B', 'C', 'D'].map((letter, k) => ({ letter, text: text(k) }));
    out.push({ entry: i, role, video: `v${Math.floor(r() * videos)}`, question: `q${i}`, options });
  }
  return out;
}

/**
 * The rule read plainly: for each candidate the first reverse action question on its video sharing
 * the most, if enough, unless a reverse landmark question there shares as many.
 */
function expected(recs: Rec[]): Map<number, [number, number]> {
  const phrases = recs.map((x) => optionPhrases(x));
  const out = new Map<number, [number, number]>();
  for (const c of recs) {
    if (c.role !== PartnerRole.Candidate) continue;
    let best = -1;
    let partner = -1;
    for (const a of recs) {
      if (a.role !== PartnerRole.ReverseAction || a.video !== c.video) continue;
      const n = sharedPhrases(phrases[c.entry], phrases[a.entry]);
      if (n > best) [best, partner] = [n, a.entry];
    }
    if (best < ACTION_PHRASES_MIN) continue;
    const beaten = recs.some(
      (l) => l.role === PartnerRole.ReverseLandmark && l.video === c.video && sharedPhrases(phrases[c.entry], phrases[l.entry]) >= best,
    );
    out.set(c.entry, [beaten ? -1 : partner, best]);
  }
  return out;
}

async function decisions(p: ActionPartners, recs: Rec[]): Promise<Map<number, [number, number]>> {
  const out = new Map<number, [number, number]>();
  await p.decide(
    async (indices) => new Map(indices.map((i) => [i, recs[i]])),
    (entry, partner, share) => out.set(entry, [partner, share]),
  );
  return out;
}

describe('ActionPartners across its storage blocks', () => {
  // 9,000 records (three record blocks), 1.1 M trigrams (many pool blocks, nine records in blocks of their own).
  const recs = makeRecords(9_000, 1_500, 7);
  const want = expected(recs);

  test('decides as the plain reading of the rule does', async () => {
    assert.ok(want.size > 100, `only ${want.size} candidates reach a decision: the data exercises too little`);
    assert.ok([...want.values()].some(([p]) => p < 0) && [...want.values()].some(([p]) => p >= 0), 'both outcomes occur');
    const p = new ActionPartners();
    for (const x of recs) p.add(x.entry, x.role, x.question, x.options, x.video);
    assert.deepEqual(await decisions(p, recs), want);
  });

  test('the same after trim, with records appended after it', async () => {
    const p = new ActionPartners();
    const half = 4_100;
    for (const x of recs.slice(0, half)) p.add(x.entry, x.role, x.question, x.options, x.video);
    p.trim();
    for (const x of recs.slice(half)) p.add(x.entry, x.role, x.question, x.options, x.video);
    assert.deepEqual(await decisions(p, recs), want);
  });

  test("the same when the second half is a worker's, packed and merged", async () => {
    const half = 5_000;
    const first = new ActionPartners();
    for (const x of recs.slice(0, half)) first.add(x.entry, x.role, x.question, x.options, x.video);
    const second = new ActionPartners();
    for (const x of recs.slice(half)) second.add(x.entry - half, x.role, x.question, x.options, x.video);
    const entries = recs.map((x) => ({ line: x.entry + 1, id: x.question, video: x.video, category: 'landmark' as const }));
    first.merge(second.pack(), half, entries);
    assert.deepEqual(await decisions(first, recs), want);
  });
});
