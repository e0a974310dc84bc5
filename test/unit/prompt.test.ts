/**
 * Re-run prompts, checked against upstream's own strings: the inference script's prompt for options
 * stored as a list (infer_code/ST-R1_mcq/mcq_infer.py), the GRPO training prompt for options inside
 * the question (ST-R1/src/open_r1_video/grpo.py), and the reverse-thinking opening against the
 * reference chain of every one of the 126 real ST-R1 test rows.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { normalise } from '../../src/core/normalize';
import {
  buildPrompt,
  counterpartQuestion,
  DEFAULT_PREFIX_STYLE,
  DEFAULT_TEMPLATES,
  describePrefix,
  fillTemplate,
  PREFIX_STYLES,
  PromptError,
  qwen2vlChat,
  trainedCounterpart,
} from '../../src/core/model/prompt';
import type { TraceRecord } from '../../src/core/schemas';
import { fixture, realDataFile } from './helpers';

interface R1Row {
  problem: string;
  solution: string;
  video: string;
  original_answer: string;
}
const rows: R1Row[] = fs
  .readFileSync(realDataFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const records: TraceRecord[] = rows.map((r, i) => {
  const n = normalise(r, { line: i + 1 });
  if (!n.ok) throw new Error(n.error);
  return n.record;
});
const fold = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').replace(/\s+\?/g, '?').trim();
/** The row's question as its chain's "And then think about …" quotes it. */
const ownQuestion = (row: R1Row) => row.problem.split('Options:')[0].replace(/^.*?Based on this video,\s*/s, '');

/*
 * The upstream strings, as the scripts write them (copied from the scripts' text, not from our code):
 * mcq_infer.py: question_text + "Options:" + "\n".join(options) + "\n\nInstructions: Please select
 *   the most appropriate answer …(e.g. A, B, C or D)." + "Output the thinking process in …</answer>."
 * grpo.py: QUESTION_TEMPLATE = "{Question} Please answer in English. Output the thinking process in
 *   … </answer>. " (trailing space), formatted with the row's `problem`.
 */
const INFER_TAIL =
  '\n\nInstructions: ' +
  'Please select the most appropriate answer from the options above and return only the option number (e.g. A, B, C or D).' +
  'Output the thinking process in <think> </think> and final answer in <answer> </answer> tags, ' +
  'i.e., <think> reasoning process here </think><answer> answer here </answer>.';
const GRPO_TAIL =
  ' Please answer in English. ' +
  'Output the thinking process in <think> </think> and final answer in <answer> </answer> tags, ' +
  'i.e., <think> reasoning process here </think><answer> answer here </answer>. ';

describe('forward prompt, options stored as a list: the upstream inference script', () => {
  test('the stored question and the stored option strings joined by "\\n", no re-lettering or re-spacing', () => {
    // Expected strings: python3 evaluating mcq_infer.py's expression on the fixture's blocks.
    const expected = [
      'Based on this video, what directions do you need to go through to get to your destination?' +
        'Options:A. Turn left\nB. Go straight\nC. Turn right\nD. Turn around' +
        INFER_TAIL,
      'Based on this video, which landmarks (objects or scenery changes) did you pass by to return to the starting point?' +
        'Options:a bench\na fountain\na statue' +
        INFER_TAIL,
      'Based on this video, which landmarks (objects or scenery changes) did you pass by to reach your destination?' +
        'Options:A. a gate\nB. a tree' +
        INFER_TAIL,
    ];
    const file = JSON.parse(fs.readFileSync(fixture('benchmark-predict.json'), 'utf8')) as Record<string, unknown>;
    const got = Object.entries(file).map(([key, value], i) => {
      const n = normalise(value, { line: i + 1, key });
      if (!n.ok) throw new Error(n.error);
      const p = buildPrompt(n.record, 'forward');
      assert.equal(p.optionsFrom, 'list');
      assert.equal(p.chat, qwen2vlChat('You are a helpful assistant.', p.user, ''));
      return p.user;
    });
    assert.deepEqual(got, expected);
  });

  test('odd spacing and letters in the stored strings reach the prompt as they are', () => {
    const n = normalise(
      { id: 'x', video: 'v.mp4', question: 'Which way?  ', options: ['A.Turn left ', ' B)  go', 'c'], response: '' },
      { line: 1 },
    );
    assert.ok(n.ok);
    assert.equal(buildPrompt(n.record, 'forward').user, 'Which way?  Options:A.Turn left \n B)  go\nc' + INFER_TAIL);
  });
});

describe('forward prompt, options inside the question (ST-R1 rows): the GRPO training prompt', () => {
  test("on all 126 real rows: the whole problem as stored, then the GRPO template's tail", () => {
    assert.equal(records.length, 126);
    for (const [i, row] of rows.entries()) {
      const p = buildPrompt(records[i], 'forward');
      assert.equal(p.optionsFrom, 'embedded', `row ${i + 1}`);
      assert.equal(p.user, row.problem + GRPO_TAIL, `row ${i + 1}`);
      assert.equal(p.assistantPrefix, '');
      assert.equal(p.chat, qwen2vlChat('You are a helpful assistant.', p.user, ''));
    }
  });

  test("a template of one's own can rebuild the inference layout from {stem} and the parsed {options}", () => {
    const row = rows[0];
    const p = buildPrompt(records[0], 'forward', { ...DEFAULT_TEMPLATES, userEmbedded: '{stem}Options:{options}' });
    // The test's own reading of the options: " A. x, B. y, C. z" up to the blank line.
    const body = row.problem.split('Options:')[1].split('\n\n')[0].trim();
    assert.equal(p.user, `${row.problem.split('Options:')[0]}Options:${body.split(/, (?=[B-Z]\. )/).join('\n')}`);
  });

  test('the chat format: system, the video placeholder before the text, the assistant turn opened', () => {
    const chat = qwen2vlChat('S', 'U', 'P');
    assert.equal(
      chat,
      '<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n<|vision_start|><|video_pad|><|vision_end|>U<|im_end|>\n<|im_start|>assistant\nP',
    );
  });
});

describe('reverse thinking as trained (the default)', () => {
  test('for EVERY one of the 126 rows the prefix is its reference chain up to the end of the counterpart question', () => {
    let checked = 0;
    const combos: Record<string, number> = {};
    for (const [i, row] of rows.entries()) {
      const r = records[i];
      const p = buildPrompt(r, 'reverse');
      // The chain's opening: "<think>Let's start by thinking {reverse|forward} {question}?" — up to its first "?".
      const opening = row.solution.slice(0, row.solution.indexOf('?') + 1);
      assert.ok(opening.startsWith("<think>Let's start by thinking "), `row ${i + 1}: ${opening}`);
      assert.equal(p.assistantPrefix, opening, `row ${i + 1} (${r.category}/${r.direction})`);
      assert.equal(p.prefixStyle, 'as-trained');
      assert.equal(p.counterpart?.method, 'trained');
      combos[`${r.category}/${r.direction}`] = (combos[`${r.category}/${r.direction}`] ?? 0) + 1;
      checked++;
    }
    assert.equal(checked, 126, 'no row skipped');
    // Every (category, direction) the test set has, with the counts read off the chains by hand.
    assert.deepEqual(combos, {
      'direction/reverse': 25,
      'direction/forward': 28,
      'landmark/forward': 16,
      'action/forward': 18,
      'landmark/reverse': 19,
      'action/reverse': 20,
    });
  });

  test('forward direction questions open with the landmark question of the way back; as worded, with the direction one', () => {
    const i = records.findIndex((r) => r.category === 'direction' && r.direction === 'forward');
    const trained = buildPrompt(records[i], 'reverse');
    const worded = buildPrompt(records[i], 'reverse', DEFAULT_TEMPLATES, 'as-worded');
    assert.equal(
      trained.assistantPrefix,
      "<think>Let's start by thinking reverse " +
        'which landmarks (objects or scenery changes) did you pass by to return to the starting point?',
    );
    assert.equal(
      worded.assistantPrefix,
      "<think>Let's start by thinking reverse what directions do you need to go through to get to starting point ?",
    );
    assert.equal(worded.prefixStyle, 'as-worded');
    assert.equal(worded.counterpart?.method, 'canonical');
    assert.match(describePrefix(trained) ?? '', /^as trained: /);
    assert.match(describePrefix(worded) ?? '', /^as worded: /);
    // On these rows the two styles differ only for forward direction questions.
    const differ = records.filter(
      (r) => buildPrompt(r, 'reverse').assistantPrefix !== buildPrompt(r, 'reverse', DEFAULT_TEMPLATES, 'as-worded').assistantPrefix,
    );
    assert.equal(differ.length, 28);
    assert.ok(differ.every((r) => r.category === 'direction' && r.direction === 'forward'));
  });

  test("categories no chain covers fall back to the question's own opposite, and say so", () => {
    assert.equal(trainedCounterpart('other', 'forward'), undefined);
    assert.equal(trainedCounterpart('route', 'reverse'), undefined);
    const n = normalise(
      {
        id: 'o1',
        video: 'v.mp4',
        question: 'Based on the video, how many doors did you pass to get to the destination?',
        options: ['A. one', 'B. two'],
        response: '',
      },
      { line: 1 },
    );
    assert.ok(n.ok);
    assert.equal(n.record.category, 'other');
    const p = buildPrompt(n.record, 'reverse');
    assert.equal(p.prefixStyle, 'as-trained');
    assert.equal(p.counterpart?.method, 'swapped');
    assert.equal(p.assistantPrefix, "<think>Let's start by thinking reverse how many doors did you pass to get to the starting point?");
    assert.match(describePrefix(p) ?? '', /^as worded \(no training chain opens a question of this category\)/);
    assert.equal(buildPrompt(n.record, 'forward').prefixStyle, undefined);
  });
});

describe("reverse thinking as worded: the question's own opposite", () => {
  test('every real row has one, in the opposite direction, with the opening ST-R1 chains use', () => {
    for (const [i, r] of records.entries()) {
      const p = buildPrompt(r, 'reverse', DEFAULT_TEMPLATES, 'as-worded');
      assert.ok(p.counterpart, `row ${i + 1}`);
      assert.notEqual(p.counterpart.direction, r.direction);
      const thinking = r.direction === 'forward' ? 'reverse' : 'forward';
      assert.equal(p.assistantPrefix, `<think>Let's start by thinking ${thinking} ${p.counterpart.text}`);
      assert.ok(p.chat.endsWith(`<|im_start|>assistant\n${p.assistantPrefix}`));
    }
  });

  test("equals the chain's own opening question wherever the chain is about the row's question", () => {
    let checked = 0;
    const categories = new Set<string>();
    for (const [i, row] of rows.entries()) {
      const m = /Let's start by thinking (reverse|forward) (.*?\?)\s*(?:\[.*?\])?.*?And then think about (.*?\?) Hence/s.exec(row.solution);
      assert.ok(m, `row ${i + 1}: ${row.solution.slice(0, 120)}`);
      // Some reference chains are about another question of the same video (dataset noise): skip those.
      if (fold(m[3]) !== fold(ownQuestion(row))) continue;
      const r = records[i];
      const c = counterpartQuestion(r.question, r.category, r.direction);
      assert.ok(c);
      assert.equal(fold(c.text), fold(m[2]), `row ${i + 1}`);
      assert.equal(m[1], r.direction === 'forward' ? 'reverse' : 'forward', `row ${i + 1}`);
      checked++;
      categories.add(`${r.category}/${r.direction}`);
    }
    // In this data the chains of the 28 forward direction questions are landmark chains (they open
    // with the landmark question of the way back and then think about the forward landmark one),
    // and those of the 18 forward action questions worded as landmark ones think about the action
    // question (80 rows are consistent): the as-trained test above covers every row.
    assert.ok(checked >= 60, `only ${checked} rows checked`);
    assert.deepEqual([...categories].sort(), ['action/reverse', 'direction/reverse', 'landmark/forward', 'landmark/reverse']);
  });

  test("every counterpart is worded as the data words that question (a row's own, or one a chain quotes)", () => {
    const known = new Set<string>();
    for (const row of rows) {
      known.add(fold(ownQuestion(row)));
      for (const m of row.solution.matchAll(/(?:thinking (?:reverse|forward)|think about) (.*?\?)/g)) known.add(fold(m[1]));
    }
    const seen = new Set<string>();
    for (const [i, r] of records.entries()) {
      const c = counterpartQuestion(r.question, r.category, r.direction, r.wordedAs)!;
      assert.equal(c.method, 'canonical', `row ${i + 1}`);
      assert.ok(known.has(fold(c.text)), `row ${i + 1}: ${c.text}`);
      seen.add(`${r.category}/${r.direction}`);
    }
    assert.deepEqual([...seen].sort(), [
      'action/forward',
      'action/reverse',
      'direction/forward',
      'direction/reverse',
      'landmark/forward',
      'landmark/reverse',
    ]);
  });

  test('questions in other words: destination and starting point swap in their own wording', () => {
    const c1 = counterpartQuestion('Based on the video, how many doors did you pass to get to the destination?', 'other', 'forward');
    assert.deepEqual(c1, { text: 'how many doors did you pass to get to the starting point?', direction: 'reverse', method: 'swapped' });
    const c2 = counterpartQuestion(
      'Which rooms did you walk through to go back to the starting position? Options: A. x, B. y',
      'other',
      'reverse',
    );
    assert.deepEqual(c2, { text: 'which rooms did you walk through to reach your destination?', direction: 'forward', method: 'swapped' });
    assert.equal(counterpartQuestion('What colour is the sofa?', 'other', 'forward'), undefined);
    // A forward action question worded as one (none among the 126 rows): the chains' reverse action wording.
    const c3 = counterpartQuestion(
      'Please take a egocentric view. Based on this video, which actions did you perform to reach your destination? Options: A. x',
      'action',
      'forward',
    );
    assert.deepEqual(c3, {
      text: 'which actions did you perform to return to the starting point?',
      direction: 'reverse',
      method: 'canonical',
    });
  });

  test('a question with no journey, or no options, is refused with the reason', () => {
    const base = {
      id: 'q1',
      question: 'What colour is the sofa? Options: A. red, B. blue',
      options: [
        { letter: 'A', text: 'red' },
        { letter: 'B', text: 'blue' },
      ],
      category: 'other' as const,
      direction: 'forward' as const,
    };
    assert.throws(
      () => buildPrompt(base, 'reverse'),
      (e: Error) => e instanceof PromptError && /q1: no counterpart question/.test(e.message),
    );
    assert.doesNotThrow(() => buildPrompt(base, 'forward'));
    assert.throws(() => buildPrompt({ ...base, options: [] }, 'forward'), /q1 has no options/);
  });
});

describe('templates', () => {
  test('placeholders are filled; an unknown one names itself', () => {
    assert.equal(fillTemplate('{a}-{b}', { a: '1', b: '2' }, 't'), '1-2');
    assert.throws(
      () => fillTemplate('{a}{qustion}', { a: '1', question: 'q' }, 'the prompt template'),
      /the prompt template: unknown placeholder \{qustion\} \(known: \{a\}, \{question\}\)/,
    );
  });

  test('custom templates are used verbatim', () => {
    const p = buildPrompt(records[0], 'reverse', {
      ...DEFAULT_TEMPLATES,
      userEmbedded: 'Q={stem}|O={options}',
      reversePrefix: '<think>First, {thinking}: {counterpart}',
    });
    assert.ok(p.user.startsWith('Q=Please take a egocentric view'));
    assert.ok(p.user.includes('|O=A. '));
    assert.throws(
      () => buildPrompt(records[0], 'forward', { ...DEFAULT_TEMPLATES, userEmbedded: '{question}{choices}' }),
      /the prompt template for options in the question: unknown placeholder \{choices\} \(known: \{question\}, \{stem\}, \{options\}\)/,
    );
    assert.match(p.assistantPrefix, /^<think>First, forward: what directions do you need to go through to get to your destination\?$/);
  });
});

describe('settings', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require('../../../package.json');
  const props = pkg.contributes.configuration.properties;

  test("package.json's prompt settings default to the templates and the prefix style the core uses", () => {
    assert.equal(props['stThink.rerun.promptTemplate'].default, DEFAULT_TEMPLATES.user);
    assert.equal(props['stThink.rerun.embeddedPromptTemplate'].default, DEFAULT_TEMPLATES.userEmbedded);
    assert.equal(props['stThink.rerun.reversePrefix'].default, DEFAULT_TEMPLATES.reversePrefix);
    assert.equal(props['stThink.rerun.systemPrompt'].default, DEFAULT_TEMPLATES.system);
    assert.equal(props['stThink.rerun.prefixStyle'].default, DEFAULT_PREFIX_STYLE);
    assert.equal(DEFAULT_PREFIX_STYLE, 'as-trained');
    assert.deepEqual(props['stThink.rerun.prefixStyle'].enum, [...PREFIX_STYLES]);
  });

  test('an untrusted workspace cannot change what is sent: every prompt setting is restricted', () => {
    const restricted: string[] = pkg.capabilities.untrustedWorkspaces.restrictedConfigurations;
    const promptSettings = Object.keys(props).filter((k) => /^stThink\.rerun\.(?:\w*[pP]rompt\w*|reversePrefix|prefixStyle)$/.test(k));
    assert.deepEqual(promptSettings.sort(), [
      'stThink.rerun.embeddedPromptTemplate',
      'stThink.rerun.prefixStyle',
      'stThink.rerun.promptTemplate',
      'stThink.rerun.reversePrefix',
      'stThink.rerun.systemPrompt',
    ]);
    for (const k of promptSettings) assert.ok(restricted.includes(k), `${k} is restricted`);
  });
});
