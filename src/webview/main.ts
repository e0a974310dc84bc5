/**
 * Webview renderer. Every piece of text from a results file is inserted with textContent, never as
 * HTML. Messages from the host are validated before use.
 */
import { hostMessageSchema, type SummaryHostMessage, type WebviewMessage } from '../core/protocol';
import { renderComparison } from './compare';
import { renderAgreement } from './judgeCompare';
import { RunsRenderer } from './runs';
import { PairView } from './pair';
import { TraceView } from './trace';
import { TrainingView } from './training';
import { TrainingCurvesView } from './trainingCurves';
import { el } from './dom';
import { summaryCharts } from './summaryCharts';
import { TraceKeys } from './keys';
import { NA_TEXT, type NaReason } from '../core/schemas';
import { formatLine, naLines, noVideoLine } from '../core/summary';

declare function acquireVsCodeApi(): { postMessage(msg: WebviewMessage): void; getState(): unknown; setState(s: unknown): void };

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;

type Summary = SummaryHostMessage;
type Bucket = Summary['byRule']['mcq_infer']['overall'];
function pct(b: Bucket | undefined): string {
  if (!b || b.accuracy === null) return '—';
  return `${(b.accuracy * 100).toFixed(1)}%`;
}

function cell(b: Bucket | undefined, naWhy: string): HTMLTableCellElement {
  const td = el('td', undefined, 'num');
  if (b && !b.total && b.na) {
    // The rule does not apply (e.g. the prediction is only the extracted letter): not a 0%.
    td.append(el('span', 'n/a', 'acc na'));
    td.title = `n/a for ${b.na}${naWhy ? `: ${naWhy}` : ''}${b.unscored > b.na ? `; ${b.unscored - b.na} other unscored` : ''}`;
    return td;
  }
  if (!b || !b.total) {
    td.textContent = '—';
    td.title = b ? `${b.unscored} unscored` : '';
    return td;
  }
  td.append(el('span', pct(b), 'acc'), el('span', ` ${b.correct}/${b.total}`, 'frac'));
  const bar = el('div', undefined, 'bar');
  bar.style.width = `${Math.round((b.accuracy ?? 0) * 100)}%`;
  td.append(bar);
  const naPart = b.na ? ` (${b.na} n/a${naWhy ? `: ${naWhy}` : ''})` : '';
  td.title = `${b.correct} correct, ${b.incorrect} incorrect, ${b.unanswered} unanswered, ${b.unscored} unscored${naPart}`;
  if (b.na) td.append(el('span', ` +${b.na} n/a`, 'frac'));
  return td;
}

function renderSummary(m: Summary): void {
  const a = m.byRule.mcq_infer;
  const g = m.byRule.grpo_reward;
  app.replaceChildren();
  app.append(el('h1', 'Summary'), el('p', m.title, 'path'));
  const facts = el(
    'p',
    `${a.records.toLocaleString()} records · ${a.invalid.toLocaleString()} invalid lines · ${formatLine(a)} (<think>/<answer>)`,
  );
  app.append(facts);
  for (const line of naLines(a.na)) app.append(el('p', line, 'note na'));
  if (a.noVideo) app.append(el('p', noVideoLine(a.noVideo), 'warning-text no-video'));
  const naWhy = (Object.keys(a.na) as NaReason[]).map((r) => NA_TEXT[r].long).join('; ');
  if (m.filter) app.append(el('p', `Filter: ${m.filter}`, 'filter'));
  for (const [cat, by] of Object.entries(a.wordedAs ?? {})) {
    for (const [worded, n] of Object.entries(by)) {
      app.append(
        el(
          'p',
          `${n.toLocaleString()} ${cat} question${n === 1 ? ' is' : 's are'} worded as ${worded} question${n === 1 ? '' : 's'}: ` +
            `recognised as ${cat} questions from the evidence in the file ` +
            `(a reference chain, or the reverse ${cat} question on the same video), and counted as ${cat}.`,
          'note',
        ),
      );
    }
  }

  const table = el('table');
  const caption = el(
    'caption',
    'Accuracy per category and direction ' +
      '(correct / scored; unanswered counts as wrong, route questions are unscored; n/a: the rule does not apply)',
  );
  const head = el('tr');
  for (const h of ['Category', 'Direction', 'Records', 'mcq_infer', 'grpo_reward']) {
    const th = el('th', h);
    th.scope = 'col';
    if (h === m.activeRule) th.className = 'active';
    head.append(th);
  }
  table.append(caption, el('thead'), el('tbody'));
  table.tHead!.append(head);
  const body = table.tBodies[0];
  const row = (cat: string, dir: string, records: number, x?: Bucket, y?: Bucket, cls?: string) => {
    const tr = el('tr', undefined, cls);
    const th = el('th', cat);
    th.scope = 'row';
    tr.append(th, el('td', dir), el('td', records.toLocaleString(), 'num'), cell(x, naWhy), cell(y, naWhy));
    body.append(tr);
  };
  for (const [cat, dirs] of Object.entries(a.byCategoryDirection)) {
    for (const [dir, b] of Object.entries(dirs)) row(cat, dir, b.records, b, g.byCategoryDirection[cat]?.[dir]);
    row(cat, 'both', a.byCategory[cat].records, a.byCategory[cat], g.byCategory[cat], 'subtotal');
  }
  for (const [dir, b] of Object.entries(a.byDirection)) row('all', dir, b.records, b, g.byDirection[dir], 'subtotal');
  row('all', 'both', a.overall.records, a.overall, g.overall, 'total');
  app.append(table);
  app.append(summaryCharts(m));

  const rules = el('p', 'Tree and status bar use: ', 'rules');
  for (const r of ['mcq_infer', 'grpo_reward'] as const) {
    const b = el('button', r);
    b.disabled = r === m.activeRule;
    b.addEventListener('click', () => vscode.postMessage({ type: 'setRule', rule: r }));
    rules.append(b, document.createTextNode(' '));
  }
  app.append(rules);
  if (m.tags?.length) app.append(tagTable(m.tags));
  if (m.judge) app.append(judgeSummary(m.judge));
  const note = el(
    'p',
    'mcq_infer: the inference scripts\u2019 letter extraction ' +
      '(answer tag, else the whole text; a leading A–D, else the first A–D anywhere). ' +
      'grpo_reward: the training reward (first character of the answer tag equals the gold\u2019s).',
    'note',
  );
  app.append(note);
}

/** Records per tag, category and direction (the tags of the results file's notes file). */
function tagTable(rows: NonNullable<Summary['tags']>): HTMLTableElement {
  const table = el('table', undefined, 'tags-table');
  table.append(el('caption', 'Tags per category and direction (records of the filter, from the notes file beside the results)'));
  const head = el('tr');
  for (const h of ['Tag', 'Category', 'Forward', 'Reverse', 'Both']) {
    const th = el('th', h);
    th.scope = 'col';
    head.append(th);
  }
  table.append(el('thead'), el('tbody'));
  table.tHead!.append(head);
  const totals = new Map<string, [number, number]>();
  for (const r of rows) {
    const t = totals.get(r.tag) ?? [0, 0];
    totals.set(r.tag, [t[0] + r.forward, t[1] + r.reverse]);
  }
  const add = (tag: string, cat: string, fwd: number, rev: number, cls?: string) => {
    const tr = el('tr', undefined, cls);
    const th = el('th', tag, 'tag-name');
    th.scope = 'row';
    tr.append(th, el('td', cat));
    for (const n of [fwd, rev, fwd + rev]) tr.append(el('td', n.toLocaleString(), 'num'));
    table.tBodies[0].append(tr);
  };
  // A tag's total row, when the tag is on records of more than one category.
  const categories = (tag: string) => rows.filter((r) => r.tag === tag).length;
  rows.forEach((r, i) => {
    add(r.tag, r.category, r.forward, r.reverse);
    if (rows[i + 1]?.tag !== r.tag && categories(r.tag) > 1) add(r.tag, 'all', ...totals.get(r.tag)!, 'subtotal');
  });
  return table;
}

/** The route answers' judge scores: the mean per direction, the parts, and what counted as 0 or was left out. */
function judgeSummary(j: NonNullable<Summary['judge']>): HTMLElement {
  const f = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(2));
  const box = el('div', undefined, 'judge-summary');
  box.append(el('h2', 'Route answers (LLM judge, 0–5)'));
  const dirs = Object.entries(j.byDirection)
    .map(([d, b]) => {
      const more = [b.skipped && `${b.skipped} skipped`, b.failed && `${b.failed} failed`, b.unparsed && `${b.unparsed} unreadable`];
      return `${d} ${f(b.mean)} (${[`${b.judged} judged`, ...more.filter(Boolean)].join(', ')})`;
    })
    .join(', ');
  box.append(
    el('p', `Mean ${f(j.mean)} over ${j.judged} judged: ${dirs}.`),
    el('p', `Parts: direction ${f(j.parts.direction)}, landmark ${f(j.parts.landmark)}, semantic and logic ${f(j.parts.semantic)}.`),
    el(
      'p',
      `${j.skipped} skipped (empty reference or prediction); ${j.failed} failed calls and ${j.unparsed} unreadable replies ` +
        `counted as 0, as upstream does; ${j.notJudged} not judged yet.`,
      'note',
    ),
  );
  return box;
}

window.addEventListener('message', (event: MessageEvent) => {
  const arrived = performance.now();
  const parsed = hostMessageSchema.safeParse(event.data);
  if (!parsed.success) {
    console.warn('ST-Think webview: dropped an invalid message', parsed.error.issues[0]);
    return;
  }
  const m = parsed.data;
  if (m.type === 'summary') renderSummary(m);
  else if (m.type === 'trainingGroup') trainingView.show(m);
  else if (m.type === 'trainingCurves') curvesView.show(m, arrived);
  else if (m.type === 'comparison') renderComparison(app, m.comparison, (msg) => vscode.postMessage(msg));
  else if (m.type === 'judgeAgreement') renderAgreement(app, m, (msg) => vscode.postMessage(msg));
  else if (m.type === 'runs') runsView.show(m.runs);
  else if (m.type === 'pairwise') runsView.showTests(m);
  else if (m.type === 'pairwiseError') runsView.showError(m.message);
  else if (m.type === 'trace') {
    app.classList.add('trace');
    app.classList.remove('pair');
    traceView.showRecord(m.record, m.position, m.pinned);
  } else if (m.type === 'pair') {
    app.classList.add('trace', 'pair');
    pairView.show(m);
  } else if (m.type === 'notes') {
    if (!app.classList.contains('pair')) traceView.showNotes(m.notes);
  } else if (m.type === 'rerun') {
    if (!app.classList.contains('pair')) traceView.showRerun(m.rerun);
  } else if (m.type === 'frames') {
    if (app.classList.contains('pair')) pairView.showFrames(m.slot ?? 'a', m.frames);
    else traceView.showFrames(m.frames);
  }
});

const post = (msg: WebviewMessage) => vscode.postMessage(msg);
const save = (s: unknown) => vscode.setState(s);
const traceView = new TraceView(app, post, save);
const pairView = new PairView(app, post, save);
const runsView = new RunsRenderer(app, post);
const trainingView = new TrainingView(app, post);
const curvesView = new TrainingCurvesView(app, post);
// The trace view's keys (a pair of records has its own: N / P / D, in pair.ts).
const keys = new TraceKeys({
  active: () => app.classList.contains('trace') && !app.classList.contains('pair'),
  navigate: (to) => post({ type: 'navigate', to }),
  notes: (what) => post({ type: what }),
  frame: (move) => traceView.frameKey(move),
  releaseFrames: () => traceView.releaseFrames(),
});
traceView.onHelp = () => keys.toggleHelp(true);

app.append(el('p', 'Loading…'));
vscode.postMessage({ type: 'ready' });
