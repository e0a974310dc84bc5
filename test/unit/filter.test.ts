/**
 * filter.ts: entry fields decide outcome/category/direction/format; free text reads the question and
 * the response back from the file, case-insensitively, and nothing else.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ResultsIndex, type IndexEntry } from '../../src/core/index';
import { applyFilter, describeFilter, entryMatches, filterSchema, isEmptyFilter, searchText } from '../../src/core/filter';
import { fixture } from './helpers';

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

  test('outcomes under the given rule, or the filter\'s own rule', () => {
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
    assert.equal(
      entryMatches(base, { outcomes: ['correct'], categories: ['landmark'], directions: ['forward'] }, 'mcq_infer'),
      false,
    );
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
});

describe('applyFilter with text (test/fixtures/search.jsonl)', () => {
  const file = fixture('search.jsonl');
  const ids = (es: IndexEntry[]) => es.map((e) => e.id);

  test('a word only in a response, case-insensitive', async () => {
    const index = await ResultsIndex.build(file);
    assert.equal(index.entries.length, 3);
    assert.deepEqual(ids(await applyFilter(index, { text: 'flamingo' }, 'mcq_infer')), ['s1']);
    assert.deepEqual(ids(await applyFilter(index, { text: 'FLAMINGO STATUE' }, 'mcq_infer')), ['s1']);
  });

  test('a word only in a question, case-insensitive', async () => {
    const index = await ResultsIndex.build(file);
    assert.deepEqual(ids(await applyFilter(index, { text: 'aquarium' }, 'mcq_infer')), ['s2']);
    assert.deepEqual(ids(await applyFilter(index, { text: 'Kettle' }, 'mcq_infer')), ['s1', 's2']);
  });

  test('no match, and text outside question and response does not match', async () => {
    const index = await ResultsIndex.build(file);
    assert.deepEqual(ids(await applyFilter(index, { text: 'zebra' }, 'mcq_infer')), []);
    // "s1.mp4" is in the video field and "gold" is a key: neither is searched.
    assert.deepEqual(ids(await applyFilter(index, { text: 's1.mp4' }, 'mcq_infer')), []);
    assert.deepEqual(ids(await applyFilter(index, { text: 'gold' }, 'mcq_infer')), []);
  });

  test('blank text keeps everything; entry fields are applied before the text', async () => {
    const index = await ResultsIndex.build(file);
    assert.deepEqual(ids(await applyFilter(index, { text: '  ' }, 'mcq_infer')), ['s1', 's2', 's3']);
    assert.deepEqual(ids(await applyFilter(index, { text: 'kettle', outcomes: ['incorrect'] }, 'mcq_infer')), ['s2']);
    assert.deepEqual(ids(await applyFilter(index, { categories: ['action'] }, 'mcq_infer')), ['s3']);
    assert.deepEqual(ids(await applyFilter(index, { categories: ['action'], text: 'kettle' }, 'mcq_infer')), []);
    assert.deepEqual(ids(await applyFilter(index, { outcomes: ['unanswered'], text: 'tags' }, 'grpo_reward')), ['s3']);
  });

  test('searchText can be cancelled', async () => {
    const index = await ResultsIndex.build(file);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(searchText(index, index.entries, 'kettle', { signal: ac.signal }), (e: unknown) => (e as Error).name === 'AbortError');
  });

  test('search on a JSON document keyed by id', async () => {
    const index = await ResultsIndex.build(fixture('benchmark-predict.json'));
    assert.deepEqual(ids(await applyFilter(index, { text: 'model inference' }, 'mcq_infer')), ['0_13']);
    assert.deepEqual(ids(await applyFilter(index, { text: 'RETURN TO THE STARTING' }, 'mcq_infer')), ['0_13']);
  });
});
