/** Edge cases found in review: letter case of explicit fields, missing ids, one-record JSON files, touch. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { scoreMcqInfer } from '../../src/core/derive';
import { ResultsIndex } from '../../src/core/index';
import { normalise } from '../../src/core/normalize';

const base = {
  id: 'a',
  video: '/v.mp4',
  question: 'Based on this video, which landmarks did you pass by to reach your destination? Options: A. x, B. y',
  gold: 'A',
  response: '<think>t</think><answer>A</answer>',
};

function tmp(name: string, text: string): string {
  const f = path.join(made(fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-edge-'))), name);
  fs.writeFileSync(f, text);
  return f;
}

const dirs: string[] = [];
const made = (d: string) => (dirs.push(d), d);
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('edge cases', () => {
  test('explicit category and direction in any letter case', () => {
    const r = normalise({ ...base, category: 'Action', direction: 'REVERSE' }, { line: 1 });
    assert.ok(r.ok);
    assert.equal(r.record.category, 'action');
    assert.equal(r.record.direction, 'reverse');
    assert.ok(r.record.categoryExplicit && r.record.directionExplicit);
  });

  test('a missing id is named as missing', () => {
    const { id: _omit, ...noId } = base;
    void _omit;
    const r = normalise(noId, { line: 3 });
    assert.ok(!r.ok);
    assert.match(r.error, /canonical: missing "id"/);
  });

  test('a .json file holding one record on one line is that record', async () => {
    const f = tmp('one.json', JSON.stringify(base) + '\n');
    const idx = await ResultsIndex.build(f);
    assert.deepEqual(idx.problems, []);
    assert.deepEqual(
      idx.entries.map((e) => [e.id, e.line, e.mcq]),
      [['a', 1, 'correct']],
    );
    const { record } = await idx.readRecord(idx.entries[0]);
    assert.equal(record.id, 'a');
  });

  test('an object keyed by id is still read as such', async () => {
    const f = tmp('keyed.json', JSON.stringify({ k1: base, k2: { ...base, id: 'b' } }));
    const idx = await ResultsIndex.build(f);
    assert.deepEqual(
      idx.entries.map((e) => e.id),
      ['a', 'b'],
    );
  });

  test('touching a file without writing it changes nothing', async () => {
    const f = tmp('t.jsonl', JSON.stringify(base) + '\n');
    const idx = await ResultsIndex.build(f);
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(f, later, later);
    assert.equal(await idx.update(), 'unchanged');
    assert.equal(idx.entries.length, 1);
  });

  test('mcq_infer compares extracted text with the gold when no A-D letter is found (upstream)', () => {
    assert.deepEqual(scoreMcqInfer('<answer>E</answer>', 'E', true), { outcome: 'correct', predicted: 'E' });
    assert.deepEqual(scoreMcqInfer('<answer>E</answer>', 'F', true), { outcome: 'unanswered', predicted: '' });
    assert.deepEqual(scoreMcqInfer('<answer>B</answer>', 'E', true), { outcome: 'incorrect', predicted: 'B' });
  });
});
