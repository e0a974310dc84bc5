/**
 * Re-run prompts: the upstream ST-R1 inference prompt, and the reverse-thinking opening with the
 * counterpart question, checked on every one of the 126 real ST-R1 test rows against the rows' own
 * text (their problem's wording and their reference chains' opening question).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { normalise } from '../../src/core/normalize';
import { buildPrompt, counterpartQuestion, fillTemplate, PromptError, qwen2vlChat, DEFAULT_TEMPLATES } from '../../src/core/model/prompt';
import type { TraceRecord } from '../../src/core/schemas';
import { realDataFile } from './helpers';

interface R1Row { problem: string; solution: string; video: string; original_answer: string }
const rows: R1Row[] = fs.readFileSync(realDataFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const records: TraceRecord[] = rows.map((r, i) => {
  const n = normalise(r, { line: i + 1 });
  if (!n.ok) throw new Error(n.error);
  return n.record;
});
const fold = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').replace(/\s+\?/g, '?').trim();
/** The row's question as its chain's "And then think about …" quotes it. */
const ownQuestion = (row: R1Row) => row.problem.split('Options:')[0].replace(/^.*?Based on this video,\s*/s, '');

// The instruction sentence of the upstream inference prompt, as the shared notes give it.
const NOTES_INSTRUCTIONS =
  'Instructions: Please select the most appropriate answer from the options above and return only the option number (e.g. A, B, C or D).Output the thinking process in <think> </think> and final answer in <answer> </answer> tags, i.e., <think> reasoning process here </think><answer> answer here </answer>.';

describe('forward prompt (the upstream inference prompt)', () => {
  test('on all 126 real rows: the question as written, "Options:", one option per line, the instructions', () => {
    assert.equal(records.length, 126);
    for (const [i, row] of rows.entries()) {
      const p = buildPrompt(records[i], 'forward');
      const before = row.problem.split('Options:')[0];
      // The test's own reading of the options: " A. x, B. y, C. z" up to the blank line.
      const body = row.problem.split('Options:')[1].split('\n\n')[0].trim();
      const options = body.split(/, (?=[B-Z]\. )/).map((o) => o.trim());
      assert.equal(p.user, `${before}Options:${options.join('\n')}\n\n${NOTES_INSTRUCTIONS}`, `row ${i + 1}`);
      // The row's own instruction sentence is where the prompt's starts.
      const own = row.problem.split('\n\n')[1];
      assert.ok(p.user.includes(own), `row ${i + 1}: ${own}`);
      assert.equal(p.assistantPrefix, '');
      assert.equal(p.chat, qwen2vlChat('You are a helpful assistant.', p.user, ''));
    }
  });

  test('the chat format: system, the video placeholder before the text, the assistant turn opened', () => {
    const chat = qwen2vlChat('S', 'U', 'P');
    assert.equal(chat, '<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n<|vision_start|><|video_pad|><|vision_end|>U<|im_end|>\n<|im_start|>assistant\nP');
  });
});

describe('reverse thinking: the counterpart question', () => {
  test('every real row has one, in the opposite direction, with the opening ST-R1 chains use', () => {
    for (const [i, r] of records.entries()) {
      const p = buildPrompt(r, 'reverse');
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
    // In this data the chains of all 28 forward direction questions and of 18 of the 34 forward
    // landmark ones are about another question (80 rows are consistent); the next test covers them.
    assert.ok(checked >= 60, `only ${checked} rows checked`);
    assert.deepEqual([...categories].sort(), ['action/reverse', 'direction/reverse', 'landmark/forward', 'landmark/reverse']);
  });

  test('every counterpart is worded as the data words that question (a row\'s own, or one a chain quotes)', () => {
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
    assert.deepEqual([...seen].sort(), ['action/forward', 'action/reverse', 'direction/forward', 'direction/reverse', 'landmark/forward', 'landmark/reverse']);
  });

  test('questions in other words: destination and starting point swap in their own wording', () => {
    const c1 = counterpartQuestion('Based on the video, how many doors did you pass to get to the destination?', 'other', 'forward');
    assert.deepEqual(c1, { text: 'how many doors did you pass to get to the starting point?', direction: 'reverse', method: 'swapped' });
    const c2 = counterpartQuestion('Which rooms did you walk through to go back to the starting position? Options: A. x, B. y', 'other', 'reverse');
    assert.deepEqual(c2, { text: 'which rooms did you walk through to reach your destination?', direction: 'forward', method: 'swapped' });
    assert.equal(counterpartQuestion('What colour is the sofa?', 'other', 'forward'), undefined);
    // A forward action question (none among the 126 rows): the chains' reverse action wording.
    const c3 = counterpartQuestion('Please take a egocentric view. Based on this video, which actions did you perform to reach your destination? Options: A. x', 'action', 'forward');
    assert.deepEqual(c3, { text: 'which actions did you perform to return to the starting point?', direction: 'reverse', method: 'canonical' });
  });

  test('a question with no journey, or no options, is refused with the reason', () => {
    const base = { id: 'q1', question: 'What colour is the sofa? Options: A. red, B. blue', options: [{ letter: 'A', text: 'red' }, { letter: 'B', text: 'blue' }], category: 'other' as const, direction: 'forward' as const };
    assert.throws(() => buildPrompt(base, 'reverse'), (e: Error) => e instanceof PromptError && /q1: no counterpart question/.test(e.message));
    assert.doesNotThrow(() => buildPrompt(base, 'forward'));
    assert.throws(() => buildPrompt({ ...base, options: [] }, 'forward'), /q1 has no options/);
  });
});

describe('templates', () => {
  test('placeholders are filled; an unknown one names itself', () => {
    assert.equal(fillTemplate('{a}-{b}', { a: '1', b: '2' }, 't'), '1-2');
    assert.throws(() => fillTemplate('{a}{qustion}', { a: '1', question: 'q' }, 'the prompt template'), /the prompt template: unknown placeholder \{qustion\} \(known: \{a\}, \{question\}\)/);
  });

  test('custom templates are used verbatim', () => {
    const p = buildPrompt(records[0], 'reverse', { ...DEFAULT_TEMPLATES, user: 'Q={question}|O={options}', reversePrefix: '<think>First, {thinking}: {counterpart}' });
    assert.ok(p.user.startsWith('Q=Please take a egocentric view'));
    assert.ok(p.user.includes('|O=A. '));
    assert.match(p.assistantPrefix, /^<think>First, forward: what directions do you need to go through to get to your destination\?$/);
  });
});

describe('settings', () => {
  test("package.json's prompt settings default to the templates the core uses", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const props = require('../../../package.json').contributes.configuration.properties;
    assert.equal(props['stThink.rerun.promptTemplate'].default, DEFAULT_TEMPLATES.user);
    assert.equal(props['stThink.rerun.reversePrefix'].default, DEFAULT_TEMPLATES.reversePrefix);
    assert.equal(props['stThink.rerun.systemPrompt'].default, DEFAULT_TEMPLATES.system);
  });
});
