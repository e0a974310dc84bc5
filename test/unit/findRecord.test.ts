/** findRecord.ts: Go to Record…'s matching over ids, video names and lines, exact hits first. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findRecords } from '../../src/core/findRecord';

const r = (id: string, video: string, line: number, category = 'direction', direction = 'forward') => ({
  id,
  video,
  line,
  category,
  direction,
});
const records = [
  r('st-r1-test-021', '/v/sun3d_133.mp4', 22),
  r('st-r1-test-015', '/v/sun3d_3.mp4', 16, 'landmark'),
  r('st-r1-test-031', '/v/sun3d_30.mp4', 32),
  r('st-r1-test-051', '/v/sun3d_3.mp4', 53),
  r('st-r1-test-102', '/v/sun3d_3.mp4', 105, 'direction', 'reverse'),
  r('line-3', '', 3),
];

describe('findRecords', () => {
  test('a video name lists that video first, then names it starts; sun3d_133 not at all', () => {
    assert.deepEqual(
      findRecords(records, 'sun3d_3').map((x) => x.line),
      [16, 53, 105, 32],
    );
  });

  test('words narrow: video and line, video and direction; "line" and "·" are ignored', () => {
    assert.deepEqual(
      findRecords(records, 'sun3d_3 · line 53').map((x) => x.id),
      ['st-r1-test-051'],
    );
    assert.deepEqual(
      findRecords(records, 'SUN3D_3 reverse').map((x) => x.id),
      ['st-r1-test-102'],
    );
  });

  test('an id, and an empty query keeps every record in order', () => {
    assert.equal(findRecords(records, 'st-r1-test-031')[0].line, 32);
    assert.equal(findRecords(records, '  ').length, records.length);
    assert.deepEqual(findRecords(records, 'zebra'), []);
  });
});
