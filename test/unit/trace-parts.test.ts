/** Video path resolution and reasoning-step segmentation (the trace view's pure parts). */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { resolveVideo } from '../../src/core/frames/resolve';
import { reasoningSteps, splitSentences } from '../../src/core/steps';
import { realDataFile } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-resolve-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function touch(rel: string): string {
  const f = path.join(dir, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, '');
  return f;
}

describe('resolveVideo', () => {
  const original = '/vi-lab/Ego-ST-bench/r1_video/clip_1.mp4';

  test('the longest matching suffix wins, then the file name', () => {
    const deep = touch('videos/Ego-ST-bench/r1_video/clip_1.mp4');
    touch('other/r1_video/clip_1.mp4');
    const r = resolveVideo(original, [path.join(dir, 'other'), path.join(dir, 'videos')]);
    assert.equal(r.file, deep);
    assert.equal(r.how, 'suffix');
    assert.equal(r.tried[0], original);
    const byName = touch('flat/sub/clip_2.mp4');
    const r2 = resolveVideo('/elsewhere/clip_2.mp4', [path.join(dir, 'flat')]);
    assert.equal(r2.file, byName);
    assert.equal(r2.how, 'name');
  });

  test('a miss lists every path tried', () => {
    const r = resolveVideo('/vi-lab/x/missing.mp4', [path.join(dir, 'videos')]);
    assert.equal(r.file, undefined);
    assert.deepEqual(r.tried.slice(0, 4), [
      '/vi-lab/x/missing.mp4',
      path.join(dir, 'videos/vi-lab/x/missing.mp4'),
      path.join(dir, 'videos/x/missing.mp4'),
      path.join(dir, 'videos/missing.mp4'),
    ]);
    assert.equal(r.tried[4], path.join(dir, 'videos', '**', 'missing.mp4'));
  });
});

describe('reasoningSteps', () => {
  test('every real ST-R1 chain splits into its three labelled steps', () => {
    const rows = fs
      .readFileSync(realDataFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    for (const row of rows) {
      const think = /<think>([\s\S]*?)<\/think>/.exec(row.solution)![1];
      const steps = reasoningSteps(think);
      assert.deepEqual(
        steps.map((s) => s.kind),
        ['opposite', 'this', 'conclusion'],
        think,
      );
      const reverseQuestion = /starting point|return/.test(row.problem.split('Options:')[0]);
      // A reverse question's chain thinks forward first, and the other way round.
      assert.equal(steps[0].label, reverseQuestion ? 'Thinking forward' : 'Thinking reverse', think);
      assert.match(steps[2].text, new RegExp(`correct answer is ${row.original_answer}$`));
    }
  });

  test('plain reasoning falls back to sentences, in any script', () => {
    assert.deepEqual(reasoningSteps('I turned left. Then right!  Done?'), [
      { kind: 'sentence', label: '', text: 'I turned left.' },
      { kind: 'sentence', label: '', text: 'Then right!' },
      { kind: 'sentence', label: '', text: 'Done?' },
    ]);
    assert.deepEqual(splitSentences('先左转。 然后右转！\n到达'), ['先左转。', '然后右转！', '到达']);
    assert.deepEqual(reasoningSteps(''), []);
  });
});

describe('model frame size', () => {
  test('smart_resize: multiples of 28 within [128·28·28, 360·420] pixels', async () => {
    const { smartResize, modelFrameSize } = await import('../../src/core/frames/modelSize');
    // 1920×1080: area over 151200 → beta = √(1920·1080/151200) ≈ 3.703 → floor to 28: 504×280.
    assert.deepEqual(smartResize(1080, 1920), { width: 504, height: 280 });
    // 160×120: under 100352 → beta = √(100352/19200) ≈ 2.286 → ceil to 28: 392×280.
    assert.deepEqual(smartResize(120, 160), { width: 392, height: 280 });
    // 420×336 (multiples of 28, area 141120): kept as it is.
    assert.deepEqual(smartResize(336, 420), { width: 420, height: 336 });
    assert.deepEqual(modelFrameSize('internvl', { width: 1920, height: 1080 }), { width: 448, height: 448 });
    assert.equal(modelFrameSize('uniform', { width: 1920, height: 1080 }), undefined);
  });
});
