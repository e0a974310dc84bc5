/**
 * derive.ts: options, stems, category/direction wording, gold letters, the two upstream scoring
 * rules and the format rule. Expected values are worked out by hand from the rule text in
 * shared/notes/ego-st-formats.md, never by calling the code under test.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import {
  analyse,
  categoryFromWording,
  directionFromWording,
  goldLetter,
  normaliseOptionList,
  parseEmbeddedOptions,
  questionStem,
  scoreGrpoReward,
  scoreMcqInfer,
  shortQuestion,
} from '../../src/core/derive';
import { ruleResultSchema } from '../../src/core/protocol/shared';
import { noVerdictText, UNSCORED_REASONS, UNSCORED_TEXT } from '../../src/core/schemas';
import { fixture } from './helpers';

/** The 12 real ST-R1 rows of the sample fixture, in file order. */
const sample = fs
  .readFileSync(fixture('ego-st-r1-sample.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as { problem: string; solution: string; original_answer: string });

const texts = (q: string) => parseEmbeddedOptions(q).map((o) => `${o.letter}|${o.text}`);

describe('parseEmbeddedOptions on real questions', () => {
  test('the sample fixture holds 12 rows', () => {
    assert.equal(sample.length, 12);
  });

  test('4 options, one ending with a period ("around., B.")', () => {
    assert.deepEqual(texts(sample[0].problem), [
      'A|Turn right continue down the road circle back around.',
      'B|Turn left approach the endpoint eventually turn around',
      'C|Turn right continue on the new path arrive at the goal',
      'D|Walk straight return to the starting point',
    ]);
  });

  test('3 options', () => {
    assert.deepEqual(texts(sample[2].problem), ['A|bamboo tray', 'B|wooden platter', 'C|pine cone']);
  });

  test('3 options, the last one ending with a period before the instructions', () => {
    assert.deepEqual(texts(sample[6].problem), ['A|Go straight', 'B|Continue forward', 'C|Go right.']);
  });

  test('2 options', () => {
    assert.deepEqual(texts(sample[7].problem), ['A|Go straight ahead', 'B|turn right']);
    assert.deepEqual(texts(sample[11].problem), ['A|go straight Turn back', 'B|Turn back go straight']);
  });

  test('options whose text holds commas and periods stay whole', () => {
    const opts = parseEmbeddedOptions(sample[10].problem);
    assert.deepEqual(
      opts.map((o) => o.letter),
      ['A', 'B', 'C', 'D'],
    );
    assert.ok(opts[0].text.startsWith('Check the phone in front of the plate Turn left'), opts[0].text);
    assert.ok(opts[0].text.includes('Put the tableware back into the refrigerator, turn the pan, and pour the batter into the basin'));
    assert.ok(opts[0].text.endsWith('Put the black spatula into the drawer'), opts[0].text.slice(-60));
    assert.equal(opts[1].text, 'Move the knife to the countertop, get the spoon from the drawer, and stir the batter in the bowl.');
    assert.ok(opts[3].text.endsWith('Put the scraper into the first layer of the drawer'), opts[3].text.slice(-60));
    // The instructions after the blank line are not part of option D.
    assert.ok(!opts[3].text.includes('Instructions'));
  });

  test('option text with a period inside a list of objects', () => {
    assert.deepEqual(texts(sample[9].problem), [
      'A|round lamp square lamp round floor lamp.',
      'B|white sofa green sofa white reclining sofa',
      'C|oval stool white stool oval garden stool',
      'D|black table yellow table black coffee table',
    ]);
  });

  test('"Options:" missing gives no options', () => {
    assert.deepEqual(parseEmbeddedOptions('Based on this video, which landmarks did you pass by? A. x, B. y'), []);
    assert.deepEqual(parseEmbeddedOptions(''), []);
  });

  test('options one per line (the inference prompt joins them with "\\n")', () => {
    const q = 'Based on this video, what directions?Options:\nA. Turn left\nB. Go straight, then stop\n\nInstructions: pick one';
    assert.deepEqual(texts(q), ['A|Turn left', 'B|Go straight, then stop']);
  });

  test('a comma left at the end of an option is dropped', () => {
    const q = 'Which? Options:\nA. Turn left, then stop,\nB. Go straight,\nC. Turn right,\n\nInstructions: pick one';
    assert.deepEqual(texts(q), ['A|Turn left, then stop', 'B|Go straight', 'C|Turn right']);
    assert.deepEqual(texts('Which? Options: A. one,; B. two, '), ['A|one', 'B|two']);
  });

  test('letters must run in order: an out-of-order ", C." stays inside option A', () => {
    const q = 'Which? Options: A. Pass the shop, C. is closed, B. Go home';
    assert.deepEqual(texts(q), ['A|Pass the shop, C. is closed', 'B|Go home']);
  });
});

describe('normaliseOptionList', () => {
  test('bare strings get letters by position; "A. x" keeps its letter; raw keeps the stored string', () => {
    assert.deepEqual(normaliseOptionList(['red door', 'blue chair']), [
      { letter: 'A', text: 'red door', raw: 'red door' },
      { letter: 'B', text: 'blue chair', raw: 'blue chair' },
    ]);
    assert.deepEqual(normaliseOptionList(['A. Turn left', 'B) Turn right, then stop.', ' C:  Go ']), [
      { letter: 'A', text: 'Turn left', raw: 'A. Turn left' },
      { letter: 'B', text: 'Turn right, then stop.', raw: 'B) Turn right, then stop.' },
      { letter: 'C', text: 'Go', raw: ' C:  Go ' },
    ]);
  });
});

describe('questionStem and shortQuestion', () => {
  test('stem is the text before "Options:"', () => {
    assert.equal(
      questionStem(sample[0].problem),
      'Please take a egocentric view to understand the following questions. ' +
        'Based on this video, what directions do you need to go through to get to starting point ?',
    );
  });

  test('stem stops at a blank line or "Instructions:" when there are no options', () => {
    assert.equal(questionStem('Where did you go?\n\nInstructions: answer briefly'), 'Where did you go?');
    assert.equal(questionStem('Where did you go? Instructions: answer briefly'), 'Where did you go?');
  });

  test('short question drops the boilerplate and capitalises', () => {
    assert.equal(shortQuestion(sample[0].problem), 'What directions do you need to go through to get to starting point ?');
    // "questions.Based" with no space, and a repeated preamble.
    assert.equal(
      shortQuestion(sample[3].problem),
      'Which landmarks (objects or scenery changes) did you pass by to reach your destination?',
    );
    assert.equal(shortQuestion(sample[11].problem), 'What directions do you need to go through to get to starting point ?');
  });

  test('short question is cut with an ellipsis at max characters', () => {
    const s = shortQuestion(sample[0].problem, 20);
    assert.equal(s, 'What directions do…');
    assert.ok(s.length <= 20);
  });
});

describe('category and direction from wording (every row of the notes table)', () => {
  const P = 'Please take a egocentric view to understand the following questions. Based on this video, ';
  const O = ' Options: A. one, B. two, C. three, D. four';
  const cases: { q: string; opts: boolean; category: string; direction: string }[] = [
    { q: P + 'Please describe in detail how to get to the final location.', opts: false, category: 'route', direction: 'forward' },
    {
      q: P + 'how to get from the last position you were in back to the starting point?',
      opts: false,
      category: 'route',
      direction: 'reverse',
    },
    {
      q: P + 'what directions do you need to go through to get to your destination?' + O,
      opts: true,
      category: 'direction',
      direction: 'forward',
    },
    {
      q: P + 'what directions do you need to go through to get to starting point ?' + O,
      opts: true,
      category: 'direction',
      direction: 'reverse',
    },
    {
      q: P + 'which landmarks (objects or scenery changes) did you pass by to reach your destination?' + O,
      opts: true,
      category: 'landmark',
      direction: 'forward',
    },
    {
      q: P + 'which landmarks (objects or scenery changes) did you pass by to return to the starting point?' + O,
      opts: true,
      category: 'landmark',
      direction: 'reverse',
    },
    { q: P + 'which actions did you perform to return to the starting point?' + O, opts: true, category: 'action', direction: 'reverse' },
    { q: P + 'which actions did you perform to reach your destination?' + O, opts: true, category: 'action', direction: 'forward' },
  ];
  for (const c of cases) {
    test(`${c.category} ${c.direction}: ${c.q.slice(P.length, P.length + 60)}`, () => {
      assert.equal(categoryFromWording(c.q, c.opts), c.category);
      assert.equal(directionFromWording(c.q), c.direction);
    });
  }

  test('reverse when the stem speaks of returning or going back, without "starting point"', () => {
    assert.equal(directionFromWording(P + 'which actions did you perform to return?' + O), 'reverse');
    assert.equal(directionFromWording(P + 'which landmarks did you see on the way back?' + O), 'reverse');
    assert.equal(directionFromWording(P + 'what directions take you back to the door?' + O), 'reverse');
    assert.equal(directionFromWording(P + 'what directions do you need to go back?' + O), 'reverse');
    assert.equal(directionFromWording(P + 'which landmarks did you pass by on the way to the kitchen?' + O), 'forward');
  });

  test('route wording with options is not a route question', () => {
    assert.equal(categoryFromWording(P + 'Please describe in detail how to get to the final location.' + O, true), 'other');
  });

  test('unrecognised wording is "other"; words in the options do not decide the category or direction', () => {
    assert.equal(categoryFromWording('What colour was the sofa? Options: A. which landmarks, B. red', true), 'other');
    assert.equal(directionFromWording('What colour was the sofa? Options: A. return to the starting point, B. red'), 'forward');
  });
});

describe('goldLetter', () => {
  test('letters with and without text', () => {
    assert.equal(goldLetter('D'), 'D');
    assert.equal(goldLetter('D.'), 'D');
    assert.equal(goldLetter(' D. Walk straight'), 'D');
    assert.equal(goldLetter('B)'), 'B');
  });
  test('no letter', () => {
    assert.equal(goldLetter(undefined), undefined);
    assert.equal(goldLetter(''), undefined);
    assert.equal(goldLetter('Dog'), undefined);
    assert.equal(goldLetter('Walk straight, then turn left'), undefined);
    assert.equal(goldLetter('b'), undefined);
  });
});

describe('scoreMcqInfer (upstream extract_choice after the answer tag)', () => {
  test('plain tag, correct and incorrect', () => {
    assert.deepEqual(scoreMcqInfer('<think>x</think><answer>C</answer>', 'C', true), { outcome: 'correct', predicted: 'C' });
    assert.deepEqual(scoreMcqInfer('<think>x</think><answer>C</answer>', 'D', true), { outcome: 'incorrect', predicted: 'C' });
  });

  test('"Based on…" inside the tag yields B (the known pitfall)', () => {
    const r = '<think>The clip shows a door.</think><answer>Based on the video, the answer is C.</answer>';
    assert.deepEqual(scoreMcqInfer(r, 'C', true), { outcome: 'incorrect', predicted: 'B' });
    assert.deepEqual(scoreMcqInfer(r, 'B', true), { outcome: 'correct', predicted: 'B' });
  });

  test('<answer> with newlines around the letter', () => {
    assert.deepEqual(scoreMcqInfer('<think>a\nb</think>\n<answer>\n  D\n</answer>', 'D', true), {
      outcome: 'correct',
      predicted: 'D',
    });
    // The content spans lines: first A-D character is C.
    assert.deepEqual(scoreMcqInfer('<answer>\nthe option\nC. Turn left\n</answer>', 'C', true), {
      outcome: 'correct',
      predicted: 'C',
    });
  });

  test('the first answer tag wins', () => {
    assert.deepEqual(scoreMcqInfer('<answer>A</answer><answer>B</answer>', 'B', true), { outcome: 'incorrect', predicted: 'A' });
  });

  test('no answer tag: the whole response is searched', () => {
    assert.deepEqual(scoreMcqInfer('the answer is C', 'C', true), { outcome: 'correct', predicted: 'C' });
    // Uppercase letters outside A-D are skipped: "The" has T, then the first A-D character is D.
    assert.deepEqual(scoreMcqInfer('The final answer: D', 'A', true), { outcome: 'incorrect', predicted: 'D' });
    // Whatever is in the think part counts too when there is no tag: "Based" gives B.
    assert.deepEqual(scoreMcqInfer('<think>Based on it</think> A', 'A', true), { outcome: 'incorrect', predicted: 'B' });
  });

  test('leading letter followed by a word character: the fallback still finds that letter first', () => {
    // ^([A-D])\b fails on "Apple" (p is a word char); the first char in ABCD anywhere is the leading A.
    assert.deepEqual(scoreMcqInfer('<answer>Apple</answer>', 'A', true), { outcome: 'correct', predicted: 'A' });
    assert.deepEqual(scoreMcqInfer('<answer>Cat</answer>', 'B', true), { outcome: 'incorrect', predicted: 'C' });
    assert.deepEqual(scoreMcqInfer('<answer>A_B</answer>', 'A', true), { outcome: 'correct', predicted: 'A' });
    // Leading letter with a word boundary.
    assert.deepEqual(scoreMcqInfer('<answer>B. Turn left</answer>', 'B', true), { outcome: 'correct', predicted: 'B' });
    assert.deepEqual(scoreMcqInfer('<answer>D</answer>', 'D. Walk straight', true), { outcome: 'correct', predicted: 'D' });
  });

  test('unanswered when no A-D character', () => {
    assert.deepEqual(scoreMcqInfer('<answer>none of them</answer>', 'A', true), { outcome: 'unanswered', predicted: '' });
    assert.deepEqual(scoreMcqInfer('<answer>E</answer>', 'A', true), { outcome: 'unanswered', predicted: '' });
    assert.deepEqual(scoreMcqInfer('Error during model inference.', 'A', true), { outcome: 'unanswered', predicted: '' });
    assert.deepEqual(scoreMcqInfer('', 'A', true), { outcome: 'unanswered', predicted: '' });
    assert.deepEqual(scoreMcqInfer('<answer></answer> B', 'B', true), { outcome: 'unanswered', predicted: '' });
    // lowercase letters are not options
    assert.deepEqual(scoreMcqInfer('<answer>b</answer>', 'B', true), { outcome: 'unanswered', predicted: '' });
  });

  test('unscored for route questions and when there is no gold letter', () => {
    assert.equal(scoreMcqInfer('<answer>A</answer>', 'A', false).outcome, 'unscored');
    assert.equal(scoreMcqInfer('<answer>A</answer>', undefined, true).outcome, 'unscored');
    assert.equal(scoreMcqInfer('<answer>A</answer>', 'Walk straight', true).outcome, 'unscored');
    assert.equal(scoreMcqInfer('<answer>A</answer>', undefined, true).predicted, 'A');
  });
});

describe('scoreGrpoReward (training accuracy reward)', () => {
  test('first character of the tag content vs first of the gold', () => {
    assert.deepEqual(scoreGrpoReward('<think>x</think><answer> C </answer>', 'C', true), { outcome: 'correct', predicted: 'C' });
    assert.deepEqual(scoreGrpoReward('<answer>C. Turn left</answer>', 'C', true), { outcome: 'correct', predicted: 'C' });
    assert.deepEqual(scoreGrpoReward('<answer>C</answer>', 'C. Turn left', true), { outcome: 'correct', predicted: 'C' });
    assert.deepEqual(scoreGrpoReward('<answer>A</answer>', 'C', true), { outcome: 'incorrect', predicted: 'A' });
  });

  test('no tag: unanswered, even when the text holds the letter', () => {
    assert.deepEqual(scoreGrpoReward('The answer is C', 'C', true), { outcome: 'unanswered', predicted: '' });
    assert.deepEqual(scoreGrpoReward('<answer>C', 'C', true), { outcome: 'unanswered', predicted: '' });
  });

  test('empty or blank tag: unanswered', () => {
    assert.deepEqual(scoreGrpoReward('<answer></answer>', 'C', true), { outcome: 'unanswered', predicted: '' });
    assert.deepEqual(scoreGrpoReward('<answer>\n  \n</answer>', 'C', true), { outcome: 'unanswered', predicted: '' });
  });

  test('case-sensitive: "b" vs "B" is incorrect', () => {
    assert.deepEqual(scoreGrpoReward('<answer>b</answer>', 'B', true), { outcome: 'incorrect', predicted: 'b' });
  });

  test('"Based on…" starts with B: correct when the gold is B, wrong otherwise', () => {
    assert.equal(scoreGrpoReward('<answer>Based on the video, C</answer>', 'B', true).outcome, 'correct');
    assert.equal(scoreGrpoReward('<answer>Based on the video, C</answer>', 'C', true).outcome, 'incorrect');
  });

  test('newlines in the tag', () => {
    assert.deepEqual(scoreGrpoReward('<answer>\nD\n</answer>', 'D', true), { outcome: 'correct', predicted: 'D' });
  });

  test('unscored for route questions and missing or empty gold', () => {
    assert.equal(scoreGrpoReward('<answer>A</answer>', 'A', false).outcome, 'unscored');
    assert.equal(scoreGrpoReward('<answer>A</answer>', undefined, true).outcome, 'unscored');
    assert.equal(scoreGrpoReward('<answer>A</answer>', '', true).outcome, 'unscored');
    assert.equal(scoreGrpoReward('<answer>A</answer>', '  ', true).outcome, 'unscored');
  });
});

describe('format rule: ^<think>.*?</think>\\s*<answer>.*?</answer> with dot matching newline', () => {
  const valid = (r: string) => analyse({ response: r, gold: 'A', category: 'landmark' }).format === 'valid';
  test('valid', () => {
    assert.equal(valid('<think>a</think><answer>A</answer>'), true);
    assert.equal(valid('<think>a</think> \n\t <answer>A</answer>'), true);
    assert.equal(valid('<think>line 1\nline 2</think>\n<answer>\nA\n</answer>'), true);
    assert.equal(valid('<think></think><answer></answer>'), true);
    // re.match does not need the pattern to reach the end of the text.
    assert.equal(valid('<think>a</think><answer>A</answer> and more'), true);
  });
  test('invalid', () => {
    assert.equal(valid('Sure. <think>a</think><answer>A</answer>'), false);
    assert.equal(valid(' <think>a</think><answer>A</answer>'), false);
    assert.equal(valid('\n<think>a</think><answer>A</answer>'), false);
    assert.equal(valid('<think>a</think> so <answer>A</answer>'), false);
    assert.equal(valid('<answer>A</answer>'), false);
    assert.equal(valid('<think>a</think>'), false);
    assert.equal(valid('<think>a</think><answer>A'), false);
    assert.equal(valid('<THINK>a</THINK><answer>A</answer>'), false);
  });
  test('equals the regular expression itself on 20,000 generated responses (several tags, tags out of order, Python white space)', () => {
    // Python's \\s for str patterns, and the pattern with re.match's anchor and DOTALL's dot.
    const pySpace = '[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
    const re = new RegExp(`^<think>[^]*?</think>${pySpace}*<answer>[^]*?</answer>`);
    const parts = ['<think>', '</think>', '<answer>', '</answer>', ' ', '\n', '\u2003', '\u200b', 'x', 'A', '<', '>', '</think', 'answer>'];
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let valids = 0;
    for (let n = 0; n < 20_000; n++) {
      const pick = () => parts[Math.floor(next() * parts.length)];
      // Half start from a valid response's pieces, half from nothing; then random pieces go in anywhere.
      const pieces = next() < 0.5 ? ['<think>', 'x', '</think>', ' ', '<answer>', 'A', '</answer>'] : next() < 0.8 ? ['<think>'] : [];
      const inserts = Math.floor(next() * 6);
      for (let k = 0; k < inserts; k++) pieces.splice(Math.floor(next() * (pieces.length + 1)), 0, pick());
      const r = pieces.join('');
      const want = re.test(r);
      if (want) valids++;
      assert.equal(valid(r), want, JSON.stringify(r));
    }
    assert.ok(valids > 2000, `only ${valids} valid responses were generated`);
  });
});

describe('analyse', () => {
  test('segments and both rules', () => {
    const a = analyse({ response: '<think> step one </think> <answer>b</answer>', gold: 'B', category: 'direction' });
    assert.equal(a.think, ' step one ');
    assert.equal(a.answer, 'b');
    assert.equal(a.format, 'valid');
    assert.deepEqual(a.mcq_infer, { outcome: 'unanswered', predicted: '' });
    assert.deepEqual(a.grpo_reward, { outcome: 'incorrect', predicted: 'b' });
  });
  test('route questions are never scored by letter', () => {
    const a = analyse({ response: '<think>x</think><answer>A</answer>', gold: 'A', category: 'route' });
    assert.equal(a.mcq_infer.outcome, 'unscored');
    assert.equal(a.grpo_reward.outcome, 'unscored');
    assert.equal(a.format, 'valid');
  });
  test('no segments', () => {
    const a = analyse({ response: 'plain', gold: 'A', category: 'other' });
    assert.equal(a.think, undefined);
    assert.equal(a.answer, undefined);
  });
});

describe('unscored says why (issue 11, bug 5); the verdicts themselves are unchanged', () => {
  test('a lowercase gold "b": mcq_infer unscored because the gold is no option letter, grpo_reward incorrect', () => {
    const a = analyse({ response: '<think>x</think><answer>B</answer>', gold: 'b', category: 'direction' });
    assert.deepEqual(a.mcq_infer, { outcome: 'unscored', predicted: 'B', unscored: 'gold-not-letter' });
    assert.deepEqual(a.grpo_reward, { outcome: 'incorrect', predicted: 'B' });
    assert.match(
      noVerdictText(a.mcq_infer) ?? '',
      /^unscored: the gold answer does not start with an option letter A–Z \(case-sensitive\)/,
    );
    assert.equal(noVerdictText(a.grpo_reward), undefined);
  });

  test('mcq_infer: route, no gold, empty gold, a gold that is no letter (with and without a predicted letter)', () => {
    assert.deepEqual(scoreMcqInfer('<answer>A</answer>', 'A', false), { outcome: 'unscored', predicted: 'A', unscored: 'route' });
    assert.deepEqual(scoreMcqInfer('<answer>A</answer>', undefined, true), { outcome: 'unscored', predicted: 'A', unscored: 'no-gold' });
    assert.deepEqual(scoreMcqInfer('<answer>A</answer>', ' ', true), { outcome: 'unscored', predicted: 'A', unscored: 'empty-gold' });
    assert.deepEqual(scoreMcqInfer('<answer>A</answer>', 'Walk straight', true), {
      outcome: 'unscored',
      predicted: 'A',
      unscored: 'gold-not-letter',
    });
    assert.deepEqual(scoreMcqInfer('<answer>none</answer>', 'b', true), {
      outcome: 'unscored',
      predicted: '',
      unscored: 'gold-not-letter',
    });
  });

  test('grpo_reward: route, no gold, empty gold; n/a keeps its own reason', () => {
    assert.deepEqual(scoreGrpoReward('<answer>A</answer>', 'A', false), { outcome: 'unscored', predicted: 'A', unscored: 'route' });
    assert.deepEqual(scoreGrpoReward('<answer>A</answer>', undefined, true), { outcome: 'unscored', predicted: 'A', unscored: 'no-gold' });
    assert.deepEqual(scoreGrpoReward('<answer>A</answer>', '  ', true), { outcome: 'unscored', predicted: 'A', unscored: 'empty-gold' });
    const na = analyse({ response: 'A', gold: 'A', category: 'direction', shape: 'benchmark' });
    assert.match(noVerdictText(na.grpo_reward) ?? '', /^n\/a: the prediction holds only the extracted letter/);
  });

  test('a verdict that scored has no reason, and every reason has a text', () => {
    assert.equal(scoreMcqInfer('<answer>A</answer>', 'A', true).unscored, undefined);
    assert.equal(scoreGrpoReward('<answer>A</answer>', 'b', true).unscored, undefined);
    for (const r of UNSCORED_REASONS) assert.ok(UNSCORED_TEXT[r].short && UNSCORED_TEXT[r].long, r);
  });

  test('the trace view message keeps the reason (the protocol schema does not strip it)', () => {
    const parsed = ruleResultSchema.parse({ outcome: 'unscored', predicted: 'B', unscored: 'gold-not-letter' });
    assert.equal(parsed.unscored, 'gold-not-letter');
    assert.throws(() => ruleResultSchema.parse({ outcome: 'unscored', predicted: '', unscored: 'made up' }));
  });
});
