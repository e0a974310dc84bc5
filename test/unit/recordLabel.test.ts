/** recordLabel.ts: what a record row of the Results tree leads with, and records grouped by video. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ResultsIndex, type IndexEntry } from '../../src/core/index';
import { groupByVideo, recordLabelChoice, recordRowText, RECORD_LABELS, treeGrouping, videoShortName } from '../../src/core/recordLabel';
import { realDataFile } from './helpers';

const e = {
  id: 'st-r1-test-015',
  video: '/vi-lab/Ego-ST-bench/r1_video/sun3d_3.mp4',
  line: 16,
  label: 'What directions do you need to go through to get to your destination?',
  gold: 'B',
  category: 'direction' as const,
  direction: 'forward' as const,
};

describe('record row text', () => {
  test("leads with the line and the video's short name by default; the question follows in the description", () => {
    const t = recordRowText(e, 'D', recordLabelChoice(undefined));
    assert.equal(t.label, 'line 16 · sun3d_3');
    assert.equal(t.description, `B → D · ${e.label}`);
  });

  test('each choice leads with something else; the question stays in the description or label', () => {
    assert.equal(recordRowText(e, 'D', 'videoAndLine').label, 'sun3d_3 · line 16');
    assert.equal(recordRowText(e, 'D', 'videoAndId').label, 'sun3d_3 · st-r1-test-015');
    assert.equal(recordRowText(e, 'D', 'id').label, 'st-r1-test-015');
    assert.equal(recordRowText(e, 'D', 'id').description, `B → D · sun3d_3 · line 16 · ${e.label}`);
    assert.equal(recordRowText(e, 'D', 'question').label, `B → D  ${e.label}`);
    assert.equal(recordRowText(e, 'D', 'question').description, 'sun3d_3 · line 16');
    for (const c of RECORD_LABELS) {
      const t = recordRowText(e, 'D', c);
      assert.ok(`${t.label} ${t.description}`.includes(e.label), `${c} keeps the question`);
    }
  });

  test('under a video node the row leads with its category and direction; no video and no prediction read so', () => {
    assert.equal(recordRowText(e, 'D', 'lineAndVideo', true).label, 'line 16 · Direction forward');
    assert.equal(recordRowText(e, 'D', 'videoAndLine', true).label, 'Direction forward · line 16');
    assert.equal(recordRowText({ ...e, video: '' }, '', 'lineAndVideo').label, 'line 16 · no video');
    assert.equal(recordRowText({ ...e, gold: '' }, '', 'lineAndVideo').description.slice(0, 5), '? → –');
  });

  test('settings read back as a known choice, else the default', () => {
    assert.equal(recordLabelChoice('id'), 'id');
    assert.equal(recordLabelChoice('<script>'), 'lineAndVideo');
    assert.equal(treeGrouping('video'), 'video');
    assert.equal(treeGrouping(42), 'category');
    assert.equal(videoShortName('C:\\videos\\ADT_seq030.mp4'), 'ADT_seq030');
  });
});

describe('grouping by video', () => {
  test("a video's forward and reverse questions sit side by side; videos in name order, numbers as numbers", () => {
    const mk = (line: number, video: string, category: IndexEntry['category'], direction: IndexEntry['direction']) =>
      ({ line, video, category, direction }) as IndexEntry;
    const entries = [
      mk(1, '/v/sun3d_15.mp4', 'direction', 'reverse'),
      mk(2, '/v/sun3d_3.mp4', 'landmark', 'forward'),
      mk(3, '', 'action', 'forward'),
      mk(4, '/v/sun3d_15.mp4', 'landmark', 'reverse'),
      mk(5, '/v/sun3d_15.mp4', 'direction', 'forward'),
      mk(6, '/v/sun3d_3.mp4', 'landmark', 'reverse'),
    ];
    const groups = groupByVideo(entries);
    assert.deepEqual(
      groups.map((g) => [g.video, g.entries.map((x) => x.line)]),
      [
        ['/v/sun3d_3.mp4', [2, 6]],
        ['/v/sun3d_15.mp4', [5, 1, 4]],
        ['', [3]],
      ],
    );
  });

  test('on the 126 real rows every record is in one group, and pairs of one category are adjacent', async () => {
    const index = await ResultsIndex.build(realDataFile);
    const groups = groupByVideo(index.entries);
    assert.equal(
      groups.reduce((n, g) => n + g.entries.length, 0),
      126,
    );
    assert.equal(new Set(groups.map((g) => g.video)).size, groups.length);
    const paired = groups.filter((g) => g.entries.length === 2 && g.entries[0].category === g.entries[1].category);
    assert.ok(paired.length > 0);
    for (const g of paired)
      assert.deepEqual(
        g.entries.map((x) => x.direction),
        ['forward', 'reverse'],
      );
  });
});
