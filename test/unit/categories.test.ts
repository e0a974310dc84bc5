/**
 * Categories as the data means them (issue 8, point 3): upstream words its forward action questions
 * as landmark questions. The evidence that says so: a reference chain that opens with the action
 * question, or (records without one) the reverse action question on the same video whose options
 * share their action phrases. Expected values come from python3 over the 126 shared rows (the
 * script's reading is written out in each test) or are worked out by hand.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACTION_PHRASES_MIN, categoryLabel, categorySource, optionPhrases, sharedPhrases } from '../../src/core/categories';
import { consistency, oppositeOf, pairOpposites } from '../../src/core/compare/compare';
import { parseEmbeddedOptions, questionStem } from '../../src/core/derive';
import { ResultsIndex, type IndexEntry } from '../../src/core/index';
import { renderRecordText } from '../../src/core/recordText';
import type { OptionItem } from '../../src/core/schemas';
import { summarise, wordedAsLines } from '../../src/core/summary';
import { makeTempDir, realDataFile, removeDir, repoRoot } from './helpers';

interface Row {
  problem: string;
  solution: string;
  video: string;
  original_answer: string;
}

const rows: Row[] = fs
  .readFileSync(realDataFile, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Row);
const demoFile = path.join(repoRoot, 'samples/st-r1-demo-run.jsonl');
const worker = path.resolve(__dirname, '../../src/core/index/worker.js');

let dir = '';
before(() => {
  dir = makeTempDir('categories');
});
after(() => removeDir(dir));
let made = 0;
function write(name: string, text: string): string {
  const f = path.join(dir, `${++made}-${name}`);
  fs.writeFileSync(f, text);
  return f;
}

/** The test's own reading of a row: wording before "Options:", the truth from the chain's opening. */
function truth(row: Row): { category: string; direction: string } {
  const before = row.problem.split('Options:')[0];
  let category = before.includes('which landmarks') ? 'landmark' : before.includes('which actions') ? 'action' : 'direction';
  if (category === 'landmark' && row.solution.startsWith("<think>Let's start by thinking reverse which actions")) category = 'action';
  const direction = before.includes('starting point') || before.includes('return') ? 'reverse' : 'forward';
  return { category, direction };
}

/**
 * The test's own trigram sets: options as parseEmbeddedOptions gives them (or the list), ASCII
 * letters folded, words by a regular expression over the word characters the measure names.
 */
function oracle(options: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const text of options) {
    const words =
      text.replace(/[A-Z]/g, (c) => c.toLowerCase()).match(/[a-z0-9\u00c0-\u1fff\u2070-\u2fff\u3040-\ufefe\uff00-\uffff]+/g) ?? [];
    for (let i = 0; i + 2 < words.length; i++) out.add(`${words[i]} ${words[i + 1]} ${words[i + 2]}`);
  }
  return out;
}
const embedded = (q: string) => parseEmbeddedOptions(q).map((o) => o.text);
const phrasesOf = (q: string, options: OptionItem[] = []) => optionPhrases({ question: q, options });

describe('the measure: shared option trigrams', () => {
  test('agrees with a plain reading of the options on every pair of the 126 rows', () => {
    const mine = rows.map((r) => phrasesOf(r.problem));
    const theirs = rows.map((r) => oracle(embedded(r.problem)));
    for (let i = 0; i < rows.length; i++) {
      assert.equal(mine[i].length, theirs[i].size, `row ${i + 1}`);
      for (let j = 0; j < rows.length; j++) {
        let both = 0;
        for (const t of theirs[i]) if (theirs[j].has(t)) both++;
        assert.equal(sharedPhrases(mine[i], mine[j]), both, `rows ${i + 1} and ${j + 1}`);
      }
    }
  });

  test('options in a list give what the same options in the text give', () => {
    for (const [i, r] of rows.entries()) {
      const listed = parseEmbeddedOptions(r.problem).map((o) => ({ letter: o.letter, text: o.text }));
      const a = phrasesOf(r.problem);
      const b = phrasesOf('(no options in this text)', listed);
      assert.deepEqual([...b], [...a], `row ${i + 1}`);
    }
  });

  test('the values python3 gives on the 126 rows', () => {
    // python3: options split with re.split(r'(?:^|,)\s*([A-D])\.\s*', body), words
    // re.findall(r'[a-z0-9]+', text.lower()), distinct trigrams per question, set intersection.
    // Every forward question worded as a landmark question with a reverse action question on its
    // video (rows, 1-based), and what the reference chain says it is:
    const sameVideo: [number, number, string, number][] = [
      [26, 77, 'action', 12],
      [48, 107, 'action', 20],
      [83, 86, 'action', 8],
      [94, 49, 'action', 22],
      [114, 86, 'landmark', 0],
      [116, 117, 'action', 18],
      [119, 80, 'action', 40],
      [121, 31, 'action', 7],
    ];
    const found: [number, number, string, number][] = [];
    for (const [i, a] of rows.entries()) {
      const ta = truth(a);
      if (!a.problem.split('Options:')[0].includes('which landmarks') || ta.direction !== 'forward') continue;
      for (const [j, b] of rows.entries()) {
        const tb = truth(b);
        if (b.video !== a.video || tb.category !== 'action' || tb.direction !== 'reverse') continue;
        found.push([i + 1, j + 1, ta.category, sharedPhrases(phrasesOf(a.problem), phrasesOf(b.problem))]);
      }
    }
    assert.deepEqual(
      found.sort((x, y) => x[0] - y[0]),
      sameVideo,
    );
    for (const [, , cat, n] of sameVideo) assert.equal(n >= ACTION_PHRASES_MIN, cat === 'action');
    // Every landmark question (36, either direction, by its chain) against every reverse action
    // question (20), on any video: python3 counts {0: 686, 1: 12, 2: 2}.
    const dist = new Map<number, number>();
    for (const a of rows) {
      if (truth(a).category !== 'landmark') continue;
      for (const b of rows) {
        const tb = truth(b);
        if (tb.category !== 'action' || tb.direction !== 'reverse') continue;
        const n = sharedPhrases(phrasesOf(a.problem), phrasesOf(b.problem));
        dist.set(n, (dist.get(n) ?? 0) + 1);
      }
    }
    assert.deepEqual(
      [...dist].sort((x, y) => x[0] - y[0]),
      [
        [0, 686],
        [1, 12],
        [2, 2],
      ],
    );
  });

  test('words and options, by hand', () => {
    const list = (...t: string[]) => t.map((text, i) => ({ letter: String.fromCharCode(65 + i), text }));
    // A trigram never spans two options: "a b" + "c d" has none, "a b c d" two.
    assert.equal(phrasesOf('', list('a b', 'c d')).length, 0);
    assert.equal(phrasesOf('', list('a b c d')).length, 2);
    // Letter case and punctuation do not matter; repeats count once.
    assert.equal(sharedPhrases(phrasesOf('', list('Pick up the board.')), phrasesOf('', list('pick up, the BOARD', 'pick up the'))), 2);
    // Embedded: text before "A." is no option; a "C." out of order is text; a blank line and
    // "Instructions:" end the options; "options :" in another spelling is found.
    const q = 'Based on this video, which landmarks? Options: x y z, A. one two three, C. four five, B. six seven eight\n\nnine ten eleven';
    assert.deepEqual([...phrasesOf(q)], [...phrasesOf('', list('one two three, C. four five', 'six seven eight'))]);
    assert.equal(phrasesOf(q).length, 5); // one two three / two three c / three c four / c four five / six seven eight
    assert.deepEqual(
      [...phrasesOf('which landmarks? options : A. red door handle Instructions: pick one of them')],
      [...phrasesOf('', list('red door handle'))],
    );
    // Outside ASCII: letters are word characters (not folded), general punctuation separates.
    assert.equal(phrasesOf('', list('café au lait—très chaud')).length, 3); // café au lait / au lait très / lait très chaud
    assert.equal(sharedPhrases(phrasesOf('', list('Café au lait')), phrasesOf('', list('CAFÉ AU LAIT'))), 0); // É is not folded
  });
});

/** A canonical record (no reference chain: the response is what a model said). */
function canonical(id: string, video: string, question: string, gold: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ id, video, question, gold, response: `<think>…</think><answer>${gold}</answer>`, model: 'test', ...extra });
}
const PREFIX = 'Please take a egocentric view to understand the following questions. Based on this video, ';
const FWD_LANDMARK = 'which landmarks (objects or scenery changes) did you pass by to reach your destination?';
const REV_LANDMARK = 'which landmarks (objects or scenery changes) did you pass by to return to the starting point?';
const ask = (stem: string, options: string) =>
  `${PREFIX}${stem} Options: ${options}\n\n` +
  'Instructions: Please select the most appropriate answer from the options above and return only the option number (e.g. A, B, C or D).';

/** The 126 rows as canonical records without their chains, one per line, ids row-N. */
function strippedRows(skip: (row: number) => boolean = () => false): string[] {
  return rows.flatMap((r, i) => (skip(i + 1) ? [] : [canonical(`row-${i + 1}`, r.video, r.problem, r.original_answer)]));
}

/** The action questions recognised from the reverse action question, as [id, partner id, shared]. */
function recognised(index: ResultsIndex): [string, string, number][] {
  return index.entries
    .filter((e) => e.evidence)
    .map((e): [string, string, number] => {
      assert.equal(e.category, 'action');
      assert.equal(e.wordedAs, 'landmark');
      assert.equal(e.direction, 'forward');
      const ev = e.evidence!;
      assert.equal(ev.kind, 'reverse-action');
      if (ev.kind !== 'reverse-action') throw new Error('unreachable');
      const partner = index.entries.find((p) => p.id === ev.id)!;
      assert.equal(partner.line, ev.line);
      assert.equal(partner.category, 'action');
      assert.equal(partner.direction, 'reverse');
      assert.equal(partner.video, e.video);
      return [e.id, ev.id, ev.sharedPhrases];
    });
}

/** The python3 pairs above, as ids of the stripped rows. */
const EXPECTED_ROWS: [string, string, number][] = [
  ['row-26', 'row-77', 12],
  ['row-48', 'row-107', 20],
  ['row-83', 'row-86', 8],
  ['row-94', 'row-49', 22],
  ['row-116', 'row-117', 18],
  ['row-119', 'row-80', 40],
  ['row-121', 'row-31', 7],
];

describe('the index: the reverse action question as evidence', () => {
  test('the 126 rows without their chains: the 7 forward action questions with a partner in the file, no other', async () => {
    const index = await ResultsIndex.build(write('stripped.jsonl', strippedRows().join('\n') + '\n'));
    assert.deepEqual(recognised(index), EXPECTED_ROWS);
    const forward = index.entries.filter((e) => e.direction === 'forward' && e.category === 'action').map((e) => e.id);
    assert.deepEqual(
      forward,
      EXPECTED_ROWS.map((x) => x[0]),
    );
    // No genuine landmark question became an action question (row 114 shares a video with row 86).
    for (const e of index.entries) {
      const t = truth(rows[Number(e.id.slice(4)) - 1]);
      if (t.category !== 'action') assert.equal(e.category, t.category, e.id);
    }
  });

  test('the demo sample (canonical, chains as responses): Action → Forward holds the same 7', async () => {
    const index = await ResultsIndex.build(demoFile);
    // make-sample.mjs: record st-r1-test-NNN is row NNN + 1.
    const asRows = recognised(index).map(([id, partner, n]): [string, string, number] => [
      `row-${Number(id.slice(11)) + 1}`,
      `row-${Number(partner.slice(11)) + 1}`,
      n,
    ]);
    assert.deepEqual(asRows, EXPECTED_ROWS);
    const s = summarise(index.file, index.entries, index.problemCount, 'mcq_infer');
    assert.deepEqual(s.wordedAs, { action: { landmark: 7 } });
    assert.equal(s.byCategoryDirection.action.forward.records, 7);
    assert.deepEqual(wordedAsLines(s), [
      '7 action questions are worded as landmark questions (recognised from the evidence in the file; counted as action)',
    ]);
  });

  test('readRecord and records() return the index category, its wording and its evidence', async () => {
    const index = await ResultsIndex.build(demoFile);
    const e = index.entries.find((x) => x.id === 'st-r1-test-025')!;
    const { record, analysis } = await index.readRecord(e);
    assert.equal(record.category, 'action');
    assert.equal(record.wordedAs, 'landmark');
    assert.deepEqual(record.categoryEvidence, { kind: 'reverse-action', line: 78, id: 'st-r1-test-076', sharedPhrases: 12 });
    assert.equal(categoryLabel(record), 'action (worded as landmark)');
    assert.equal(
      categorySource(record),
      "from the reverse action question on line 78 (id st-r1-test-076), whose options share 12 three-word phrases with this question's",
    );
    const text = renderRecordText(record, analysis, { file: 'st-r1-demo-run.jsonl', line: e.line });
    assert.match(text, /^Category action \(worded as landmark\): from the reverse action question on line 78 \(id st-r1-test-076\)/m);
    const seen = new Map<string, string>();
    for await (const { entry, record: r } of index.records(index.entries)) seen.set(entry.id, `${r.category}/${r.wordedAs ?? '-'}`);
    for (const x of index.entries) assert.equal(seen.get(x.id), `${x.category}/${x.wordedAs ?? '-'}`, x.id);
    // A landmark question left as such says where its category comes from.
    const plain = (await index.readRecord(index.entries.find((x) => x.id === 'st-r1-test-113')!)).record;
    assert.equal(categoryLabel(plain), 'landmark');
    assert.equal(categorySource(plain), 'from its wording');
  });

  test('benchmark inference outputs (one JSON object keyed by id, options as lists)', async () => {
    const doc: Record<string, unknown> = {};
    for (const [i, r] of rows.entries()) {
      const block = {
        question: questionStem(r.problem),
        options: parseEmbeddedOptions(r.problem).map((o) => `${o.letter}. ${o.text}`),
        answer: r.original_answer,
      };
      doc[`row-${i + 1}`] = {
        video: r.video,
        [truth(r).direction === 'forward' ? 'forward_mcq' : 'reverse_mcq']: block,
        predict: r.original_answer,
      };
    }
    const index = await ResultsIndex.build(write('predict.json', JSON.stringify(doc, null, 1)));
    assert.equal(index.format, 'json');
    assert.deepEqual(recognised(index), EXPECTED_ROWS);
  });

  test('harness lines (options embedded in doc.question)', async () => {
    const lines = rows.map((r, i) =>
      JSON.stringify({
        doc_id: `row-${i + 1}`,
        doc: { question: r.problem, video: r.video },
        target: r.original_answer,
        resps: [[`<answer>${r.original_answer}</answer>`]],
      }),
    );
    const index = await ResultsIndex.build(write('harness.jsonl', lines.join('\n') + '\n'));
    assert.deepEqual(recognised(index), EXPECTED_ROWS);
  });

  test('two halves at once (worker thread): the same categories as one thread, pairs across the halves', async () => {
    const f = write('split.jsonl', strippedRows().join('\n') + '\n');
    const one = await ResultsIndex.build(f);
    const two = await ResultsIndex.build(f, { workerScript: worker, parallelMinBytes: 0, parallelMinCores: 1 });
    assert.deepEqual(two.entries, one.entries);
    // Row 26 is in the first half, its partner row 77 in the second.
    assert.deepEqual(recognised(two), EXPECTED_ROWS);
  });

  const appended =
    'appended lines: a reverse action question appended later re-categorises an earlier question, a reverse landmark one can undo it';
  test(appended, async () => {
    const partners = new Set(EXPECTED_ROWS.map(([, p]) => Number(p.slice(4))));
    const f = write('append.jsonl', strippedRows((row) => partners.has(row)).join('\n') + '\n');
    const index = await ResultsIndex.build(f);
    assert.deepEqual(recognised(index), []);
    assert.equal(index.entries.filter((e) => e.category === 'action' && e.direction === 'forward').length, 0);
    fs.appendFileSync(
      f,
      [...partners]
        .map((row) => canonical(`row-${row}`, rows[row - 1].video, rows[row - 1].problem, rows[row - 1].original_answer))
        .join('\n') + '\n',
    );
    assert.equal(await index.update(), 'appended');
    assert.deepEqual(
      recognised(index).sort((a, b) => Number(a[0].slice(4)) - Number(b[0].slice(4))),
      EXPECTED_ROWS,
    );
    // A reverse landmark question on row 26's video whose options are row 26's own: it shares
    // every trigram with row 26, more than row 77 does, so row 26 is a landmark question again.
    const r26 = rows[25];
    fs.appendFileSync(
      f,
      canonical('rev-landmark-26', r26.video, ask(REV_LANDMARK, r26.problem.split('Options: ')[1].split('\n\n')[0]), 'A') + '\n',
    );
    assert.equal(await index.update(), 'appended');
    const e26 = index.entries.find((e) => e.id === 'row-26')!;
    assert.equal(e26.category, 'landmark');
    assert.equal(e26.wordedAs, undefined);
    assert.equal(e26.evidence, undefined);
    assert.equal(recognised(index).length, 6);
  });

  test('an explicit category field wins over the evidence', async () => {
    const lines = strippedRows();
    lines[25] = canonical('row-26', rows[25].video, rows[25].problem, rows[25].original_answer, { category: 'Landmark' });
    const index = await ResultsIndex.build(write('explicit.jsonl', lines.join('\n') + '\n'));
    const e = index.entries.find((x) => x.id === 'row-26')!;
    assert.equal(e.category, 'landmark');
    assert.equal(e.wordedAs, undefined);
    assert.equal(recognised(index).length, 6);
    assert.equal(categorySource((await index.readRecord(e)).record), 'from its category field');
  });
});

describe('the index: genuine landmark questions stay landmark questions', () => {
  /**
   * For each reverse action question that is a partner above, a forward landmark question on its
   * video whose options name the objects and places its options name (written by hand from them).
   */
  const objectLists: [number, string][] = [
    [49, 'A. dinosaur toy, B. pillows sofa window, C. small plant, D. dinosaur toy starting point'],
    [77, 'A. board, B. board starting point, C. starting point'],
    [
      31,
      'A. black coffee table yellow table position friend snack, B. red sofa orange slide purple door, ' +
        'C. purple couch green lamp orange rug, D. coffee table blue table stranger snack starting point',
    ],
    [
      107,
      'A. table refrigerator cabinet below the refrigerator upper wardrobes, B. original place table refrigerator items inside, ' +
        'C. ceiling wall door chair bed drawer magazine, D. cabinet below the refrigerator original place',
    ],
    [
      80,
      'A. kitchen living room dining room cart dining table, B. basin fruit coffee table door cutting board countertop, ' +
        'C. apple coffee table kitchen cutting board closet living room basin hallway corridor doorway, ' +
        'D. window flowers vase painting floor cup shelf backyard pen table hallway walls front yard keys key holder TV',
    ],
    [86, 'A. crate, B. crate starting point, C. starting point'],
    [117, 'A. black plate, B. spoon countertop red bowl doorway, C. corner starting point'],
  ];

  test('landmark options that name the objects of the action options', async () => {
    const lines: string[] = [];
    for (const [row, options] of objectLists) {
      const r = rows[row - 1];
      lines.push(canonical(`objects-${row}`, r.video, ask(FWD_LANDMARK, options), 'A'));
      lines.push(canonical(`row-${row}`, r.video, r.problem, r.original_answer));
      // Each shares fewer than ACTION_PHRASES_MIN trigrams with its reverse action question.
      assert.ok(sharedPhrases(phrasesOf(ask(FWD_LANDMARK, options)), phrasesOf(r.problem)) < ACTION_PHRASES_MIN, `row ${row}`);
    }
    // A real landmark question of the party videos (row 34: "yellow table black coffee table …")
    // on the video of the reverse action question of row 31 ("Walk straight to the black coffee table …").
    lines.push(canonical('row-34-on-31', rows[30].video, rows[33].problem, rows[33].original_answer));
    const index = await ResultsIndex.build(write('objects.jsonl', lines.join('\n') + '\n'));
    for (const e of index.entries) if (e.direction === 'forward') assert.equal(e.category, 'landmark', e.id);
    assert.deepEqual(recognised(index), []);
  });

  test('landmark options that copy place phrases of the action options: the reverse landmark question on the video decides', async () => {
    // Row 80's options: "… place the cutting board back on the countertop …", "… pick up the basin
    // from the cart …", "… pick up the fruit from the coffee table …". Landmarks in upstream's
    // style with those place phrases share 11 trigrams: by the options alone they look like actions.
    const r = rows[79];
    const copied = 'A. the cutting board back on the countertop, B. the basin from the cart, C. the fruit from the coffee table';
    const q = ask(FWD_LANDMARK, copied);
    const n = sharedPhrases(phrasesOf(q), phrasesOf(r.problem));
    assert.ok(n >= ACTION_PHRASES_MIN, String(n));
    const alone = await ResultsIndex.build(
      write(
        'copied.jsonl',
        [canonical('landmark', r.video, q, 'A'), canonical('row-80', r.video, r.problem, r.original_answer)].join('\n') + '\n',
      ),
    );
    assert.equal(alone.entries[0].category, 'action', 'without its reverse landmark question the file says no more');
    // With the reverse landmark question (the same landmarks, the other way round) it stays a landmark question.
    const reverse = canonical(
      'rev-landmark',
      r.video,
      ask(REV_LANDMARK, 'A. the fruit from the coffee table, B. the basin from the cart, C. the cutting board back on the countertop'),
      'A',
    );
    const index = await ResultsIndex.build(
      write(
        'copied2.jsonl',
        [canonical('landmark', r.video, q, 'A'), canonical('row-80', r.video, r.problem, r.original_answer), reverse].join('\n') + '\n',
      ),
    );
    assert.equal(index.entries[0].category, 'landmark');
    assert.deepEqual(recognised(index), []);
  });

  test('a reverse action question on another video is no evidence', async () => {
    const r = rows[25];
    const partner = rows[76];
    const index = await ResultsIndex.build(
      write(
        'other-video.jsonl',
        [canonical('a', r.video, r.problem, 'A'), canonical('b', `${partner.video}.other.mp4`, partner.problem, 'B')].join('\n') + '\n',
      ),
    );
    assert.equal(index.entries[0].category, 'landmark');
  });
});

describe('the reference chain as evidence (ST-R1 rows)', () => {
  test('the 18 forward action questions of the 126 rows, each from its chain', async () => {
    const index = await ResultsIndex.build(realDataFile);
    const actions = index.entries.filter((e) => e.category === 'action' && e.direction === 'forward');
    assert.equal(actions.length, 18);
    for (const e of actions) {
      assert.equal(e.wordedAs, 'landmark');
      assert.equal(e.evidence, undefined, "the chain is the record's own evidence");
      const { record } = await index.readRecord(e);
      assert.deepEqual(record.categoryEvidence, { kind: 'reference-chain' });
      assert.equal(categorySource(record), 'from its reference chain, which opens with the action question');
    }
    assert.deepEqual(summarise(index.file, index.entries, index.problemCount, 'mcq_infer').wordedAs, { action: { landmark: 18 } });
  });
});

describe('consistency pairs action questions', () => {
  // python3, the test's reading of each row (category by its chain), pairing the k-th forward
  // question with the k-th reverse one per video and category: 126 rows {action 7, landmark 5,
  // direction 6} = 18 pairs, 90 without a counterpart. The demo sample: the 11 forward action
  // questions with no reverse action question in the file stay landmark questions (nothing says
  // otherwise), and one of them (row 75) pairs with the reverse landmark question of its video
  // (row 15): {action 7, landmark 6, direction 6} = 19 pairs, 88 without. Before this issue:
  // {landmark 6, direction 6}, no action pair.
  const pairsByCategory = (entries: readonly IndexEntry[]) => {
    const c = consistency(entries, 'mcq_infer');
    return {
      byCategory: Object.fromEntries(Object.entries(c.byCategory).map(([k, v]) => [k, v.pairs])),
      pairs: c.pairs,
      unpaired: c.unpaired,
    };
  };

  test('on the 126 rows', async () => {
    const index = await ResultsIndex.build(realDataFile);
    assert.deepEqual(pairsByCategory(index.entries), { byCategory: { direction: 6, landmark: 5, action: 7 }, pairs: 18, unpaired: 90 });
  });

  test('on the demo sample', async () => {
    const index = await ResultsIndex.build(demoFile);
    assert.deepEqual(pairsByCategory(index.entries), { byCategory: { direction: 6, landmark: 6, action: 7 }, pairs: 19, unpaired: 88 });
    // Each recognised question pairs with the very reverse action question that is its evidence.
    for (const [fwd, rev] of pairOpposites(index.entries)) {
      if (fwd.evidence?.kind === 'reverse-action') assert.equal(rev.id, fwd.evidence.id);
    }
    const row75 = pairOpposites(index.entries).find(([f]) => f.id === 'st-r1-test-074');
    assert.equal(row75?.[1].id, 'st-r1-test-014');
  });
});

describe('oppositeOf (Show Opposite Direction) pairs as the consistency count does', () => {
  test('every pair of pairOpposites, looked up from either side, on the demo sample', async () => {
    const index = await ResultsIndex.build(demoFile);
    const pairs = pairOpposites(index.entries);
    assert.ok(pairs.length > 0);
    for (const [fwd, rev] of pairs) {
      assert.equal(oppositeOf(index.entries, fwd), rev);
      assert.equal(oppositeOf(index.entries, rev), fwd);
    }
    const paired = new Set(pairs.flat());
    for (const e of index.entries) if (!paired.has(e)) assert.equal(oppositeOf(index.entries, e), undefined, `${e.id} has no opposite`);
  });
});
