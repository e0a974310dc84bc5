/**
 * filter.ts: entry fields decide outcome/category/direction/format; free text matches the id and the
 * video's file name, and reads the question and the response back from the file, case-insensitively,
 * and nothing else.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ResultsIndex, type IndexEntry } from '../../src/core/index';
import {
  describeFilter,
  entryMatches,
  filterSchema,
  isEmptyFilter,
  parseFilter,
  searchText,
  visibleEntries,
  type ResultsFilter,
} from '../../src/core/filter';
import type { ScoringRule } from '../../src/core/schemas';
import { fixture, realDataFile } from './helpers';

const base: IndexEntry = {
  line: 1,
  offset: 0,
  length: 1,
  id: 'e',
  shape: 'canonical',
  video: '/v.mp4',
  label: 'x',
  category: 'landmark',
  direction: 'reverse',
  gold: 'A',
  format: 'valid',
  mcq: 'correct',
  mcqPred: 'A',
  grpo: 'unanswered',
  grpoPred: '',
  na: undefined,
};

describe('entryMatches', () => {
  test('empty filter matches', () => {
    assert.equal(entryMatches(base, {}, 'mcq_infer'), true);
    assert.equal(entryMatches(base, { outcomes: [], categories: [] }, 'mcq_infer'), true);
  });

  test("outcomes under the given rule, or the filter's own rule", () => {
    assert.equal(entryMatches(base, { outcomes: ['correct'] }, 'mcq_infer'), true);
    assert.equal(entryMatches(base, { outcomes: ['correct'] }, 'grpo_reward'), false);
    assert.equal(entryMatches(base, { outcomes: ['unanswered', 'incorrect'] }, 'grpo_reward'), true);
    assert.equal(entryMatches(base, { outcomes: ['correct'], rule: 'grpo_reward' }, 'mcq_infer'), false);
    assert.equal(entryMatches(base, { outcomes: ['unanswered'], rule: 'grpo_reward' }, 'mcq_infer'), true);
  });

  test('categories', () => {
    assert.equal(entryMatches(base, { categories: ['landmark', 'action'] }, 'mcq_infer'), true);
    assert.equal(entryMatches(base, { categories: ['direction'] }, 'mcq_infer'), false);
  });

  test('directions', () => {
    assert.equal(entryMatches(base, { directions: ['reverse'] }, 'mcq_infer'), true);
    assert.equal(entryMatches(base, { directions: ['forward'] }, 'mcq_infer'), false);
  });

  test('format', () => {
    assert.equal(entryMatches(base, { format: 'valid' }, 'mcq_infer'), true);
    assert.equal(entryMatches(base, { format: 'invalid' }, 'mcq_infer'), false);
    const bad: IndexEntry = { ...base, format: 'invalid' };
    assert.equal(entryMatches(bad, { format: 'valid' }, 'mcq_infer'), false);
    assert.equal(entryMatches(bad, { format: 'invalid' }, 'mcq_infer'), true);
    // A record the format check does not apply to is neither valid nor invalid.
    const na: IndexEntry = { ...base, format: 'n/a', na: 'letter-only', grpo: 'unscored' };
    assert.equal(entryMatches(na, { format: 'valid' }, 'mcq_infer'), false);
    assert.equal(entryMatches(na, { format: 'invalid' }, 'mcq_infer'), false);
    assert.equal(entryMatches(na, {}, 'mcq_infer'), true);
  });

  test('all fields must hold together', () => {
    assert.equal(entryMatches(base, { outcomes: ['correct'], categories: ['landmark'], directions: ['forward'] }, 'mcq_infer'), false);
    assert.equal(
      entryMatches(base, { outcomes: ['correct'], categories: ['landmark'], directions: ['reverse'], format: 'valid' }, 'mcq_infer'),
      true,
    );
  });
});

describe('filter helpers', () => {
  test('isEmptyFilter, describeFilter, filterSchema', () => {
    assert.equal(isEmptyFilter(undefined), true);
    assert.equal(isEmptyFilter({ text: '   ' }), true);
    assert.equal(isEmptyFilter({ format: 'valid' }), false);
    assert.equal(
      describeFilter({ outcomes: ['incorrect', 'unanswered'], categories: ['action'], format: 'invalid', text: ' door ' }),
      'incorrect|unanswered, action, format invalid, "door"',
    );
    assert.equal(filterSchema.safeParse({ outcomes: ['wrong'] }).success, false);
    assert.equal(filterSchema.safeParse({ categories: ['Landmark'] }).success, false);
    assert.equal(filterSchema.safeParse({ outcomes: ['correct'], text: 'x', rule: 'grpo_reward' }).success, true);
  });

  test("parseFilter (stThink.setFilter's argument): nothing clears; a bad field says which and what is expected", () => {
    assert.deepEqual(parseFilter(undefined), {});
    assert.deepEqual(parseFilter(null), {});
    assert.deepEqual(parseFilter({ directions: ['reverse'], outcomes: ['incorrect'] }), {
      directions: ['reverse'],
      outcomes: ['incorrect'],
    });
    assert.deepEqual(parseFilter({ text: 'CANNOT TELL' }), { text: 'CANNOT TELL' });
    assert.throws(
      () => parseFilter({ outcomes: ['wrong'] }),
      /^Error: not a results filter \(outcomes\.0: .*expected \{ outcomes\?: \(correct\|incorrect\|unanswered\|unscored\)\[\]/,
    );
    assert.throws(() => parseFilter({ categories: 'landmark' }), /categories: /);
    assert.throws(() => parseFilter({ outcome: ['correct'] }), /outcome/, 'a misspelt field is not silently ignored');
    assert.throws(() => parseFilter('incorrect'), /not a results filter \(the argument: /);
  });
});

/** What the store does with a filter: search the text over the file, then keep what matches both. */
async function filtered(index: ResultsIndex, f: ResultsFilter, rule: ScoringRule): Promise<IndexEntry[]> {
  const text = f.text?.trim();
  const hits = text ? await searchText(index, index.entries, text) : undefined;
  return visibleEntries(index.entries, f, rule, hits);
}

describe('filtering with text as the store does it (test/fixtures/search.jsonl)', () => {
  const file = fixture('search.jsonl');
  const ids = (es: IndexEntry[]) => es.map((e) => e.id);

  test('a word only in a response, case-insensitive', async () => {
    const index = await ResultsIndex.build(file);
    assert.equal(index.entries.length, 3);
    assert.deepEqual(ids(await filtered(index, { text: 'flamingo' }, 'mcq_infer')), ['s1']);
    assert.deepEqual(ids(await filtered(index, { text: 'FLAMINGO STATUE' }, 'mcq_infer')), ['s1']);
  });

  test('a word only in a question, case-insensitive', async () => {
    const index = await ResultsIndex.build(file);
    assert.deepEqual(ids(await filtered(index, { text: 'aquarium' }, 'mcq_infer')), ['s2']);
    assert.deepEqual(ids(await filtered(index, { text: 'Kettle' }, 'mcq_infer')), ['s1', 's2']);
  });

  test('no match, and text outside id, video name, question and response does not match', async () => {
    const index = await ResultsIndex.build(file);
    assert.deepEqual(ids(await filtered(index, { text: 'zebra' }, 'mcq_infer')), []);
    // "gold" is a key and "model" a field that is not searched.
    assert.deepEqual(ids(await filtered(index, { text: 'gold' }, 'mcq_infer')), []);
  });

  test("the id and the video's file name match too (issue 11: searching a video name found nothing)", async () => {
    const index = await ResultsIndex.build(file);
    assert.deepEqual(ids(await filtered(index, { text: 'S1.MP4' }, 'mcq_infer')), ['s1']);
    assert.deepEqual(ids(await filtered(index, { text: 's3' }, 'mcq_infer')), ['s3']);
  });

  test('blank text keeps everything; entry fields are applied before the text', async () => {
    const index = await ResultsIndex.build(file);
    assert.deepEqual(ids(await filtered(index, { text: '  ' }, 'mcq_infer')), ['s1', 's2', 's3']);
    assert.deepEqual(ids(await filtered(index, { text: 'kettle', outcomes: ['incorrect'] }, 'mcq_infer')), ['s2']);
    assert.deepEqual(ids(await filtered(index, { categories: ['action'] }, 'mcq_infer')), ['s3']);
    assert.deepEqual(ids(await filtered(index, { categories: ['action'], text: 'kettle' }, 'mcq_infer')), []);
    assert.deepEqual(ids(await filtered(index, { outcomes: ['unanswered'], text: 'tags' }, 'grpo_reward')), ['s3']);
  });

  test('searchText can be cancelled', async () => {
    const index = await ResultsIndex.build(file);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(
      searchText(index, index.entries, 'kettle', { signal: ac.signal }),
      (e: unknown) => (e as Error).name === 'AbortError',
    );
  });

  test('search on a JSON document keyed by id', async () => {
    const index = await ResultsIndex.build(fixture('benchmark-predict.json'));
    assert.deepEqual(ids(await filtered(index, { text: 'model inference' }, 'mcq_infer')), ['0_13']);
    assert.deepEqual(ids(await filtered(index, { text: 'RETURN TO THE STARTING' }, 'mcq_infer')), ['0_13']);
  });
});

describe('text search over the 126 real ST-R1 rows (shared/data)', () => {
  test('a video name and an id find their records (issue 11: "sun3d_3" found 0 of 126)', async () => {
    const index = await ResultsIndex.build(realDataFile);
    assert.equal(index.entries.length, 126);
    const byName = (needle: string) => index.entries.filter((e) => e.video.split('/').pop()!.toLowerCase().includes(needle));
    const sun = await filtered(index, { text: 'sun3d_3' }, 'mcq_infer');
    assert.ok(byName('sun3d_3').length > 0);
    assert.deepEqual(sun, byName('sun3d_3'));
    assert.ok(sun.some((e) => e.video.endsWith('/sun3d_3.mp4')));
    const exact = await filtered(index, { text: 'sun3d_3.mp4' }, 'mcq_infer');
    assert.ok(exact.length >= 1 && exact.every((e) => e.video.endsWith('/sun3d_3.mp4')));
    const one = index.entries[57];
    assert.ok(one.id, 'the real rows have ids');
    assert.ok((await filtered(index, { text: one.id }, 'mcq_infer')).includes(one));
  });
});
