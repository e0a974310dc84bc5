/**
 * The several-runs view's renderer (text only, through textContent): the runs, each run's accuracy
 * per category and direction on the common records under the rule chosen here, the best in each row
 * marked (bold and a ★, not colour alone), and McNemar of two runs or of every pair, asked for here.
 */
import type { PairwiseView, RunsHostMessage, RunsView, RunsWebviewMessage } from '../core/protocol';
import type { ScoringRule } from '../core/vocabulary';
import { el } from './dom';
import { button } from './toolkit';

type Post = (m: RunsWebviewMessage) => void;
type Table = RunsView['byRule']['mcq_infer'];
type Bucket = Table['overall'];

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
const pText = (p: number) => (p < 1e-4 ? p.toExponential(2) : p.toFixed(4));
const RULE_NAMES: ScoringRule[] = ['mcq_infer', 'grpo_reward'];

export class RunsRenderer {
  private view: RunsView | undefined;
  private rule: ScoringRule = 'mcq_infer';
  private tableHost = el('div', undefined, 'runs-table');
  private testsHost = el('div', undefined, 'runs-tests');

  constructor(
    private readonly root: HTMLElement,
    private readonly post: Post,
  ) {}

  show(v: RunsView): void {
    this.view = v;
    this.rule = v.rule;
    this.root.replaceChildren();
    this.root.append(el('h1', 'Compare runs'));
    this.root.append(runsList(v));
    const left = v.runs.map((r) => `${r.label} ${r.leftOut}`).join(', ');
    this.root.append(
      el(
        'p',
        `Accuracies are over the ${v.common.toLocaleString()} records common to all ${v.runs.length} runs ` +
          `(each run paired with R1 as Compare With… pairs two runs). Records not in every run are left out: ${left}.`,
        'note common',
      ),
    );
    if (v.filter) this.root.append(el('p', `Filter: ${v.filter}`, 'filter'));
    this.root.append(this.ruleSwitch(), this.tableHost);
    this.root.append(
      el('h2', 'McNemar test of two runs'),
      el(
        'p',
        'Computed when asked for, exactly as Compare With… computes it for the two runs: over all the records the two ' +
          'share (their own pairing), which may be more than the records common to all runs.',
        'note',
      ),
      this.testControls(),
      this.testsHost,
    );
    this.renderTable();
  }

  /** The rule's two buttons (the pressed one is shown); the host is told, for the export. */
  private ruleSwitch(): HTMLElement {
    const group = el('div', undefined, 'rule-switch');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', 'Scoring rule');
    group.append(el('span', 'Scoring rule: '));
    for (const r of RULE_NAMES) {
      const b = el('button', r);
      b.setAttribute('aria-pressed', String(r === this.rule));
      b.addEventListener('click', () => {
        this.rule = r;
        group.querySelectorAll('button').forEach((x) => x.setAttribute('aria-pressed', String(x.textContent === r)));
        this.post({ type: 'showRule', rule: r });
        this.renderTable();
      });
      group.append(b, document.createTextNode(' '));
    }
    group.append(
      button('Export…', () => this.post({ type: 'exportRuns' }), {
        secondary: true,
        title: 'The table under this rule as CSV, Markdown or LaTeX (with the McNemar tests made so far)',
      }),
    );
    return group;
  }

  private renderTable(): void {
    if (!this.view) return;
    this.tableHost.replaceChildren(accuracyTable(this.view, this.view.byRule[this.rule]));
  }

  /** Two runs to test (native selects: keyboard ready), Test, and All Pairs. */
  private testControls(): HTMLElement {
    const v = this.view!;
    const bar = el('div', undefined, 'frames-bar runs-pick');
    const pick = (label: string, initial: number) => {
      const s = el('select');
      s.setAttribute('aria-label', label);
      v.runs.forEach((r, i) => {
        const o = el('option', `${r.label} · ${r.name}`);
        o.value = String(i);
        s.append(o);
      });
      s.value = String(initial);
      return s;
    };
    const a = pick('Run A', 0);
    const b = pick('Run B', 1);
    bar.append(el('span', 'A '), a, el('span', ' B '), b, document.createTextNode(' '));
    bar.append(
      button(
        'Test',
        () => {
          if (a.value === b.value) return this.showError('Pick two different runs.');
          this.testsHost.replaceChildren(el('p', 'Testing…', 'note'));
          this.post({ type: 'pairwise', a: Number(a.value), b: Number(b.value), rule: this.rule });
        },
        { title: 'Exact McNemar test of runs A and B under the rule shown' },
      ),
      document.createTextNode(' '),
      button(
        'All Pairs',
        () => {
          this.testsHost.replaceChildren(el('p', 'Testing every pair…', 'note'));
          this.post({ type: 'pairwiseAll', rule: this.rule });
        },
        { secondary: true, title: 'The p-value of every pair of runs, as a matrix' },
      ),
    );
    return bar;
  }

  showTests(m: Extract<RunsHostMessage, { type: 'pairwise' }>): void {
    if (!this.view) return;
    const labels = this.view.runs.map((r) => r.label);
    this.testsHost.replaceChildren(testsTable(m.results, labels));
    if (m.all) this.testsHost.append(pMatrix(m.results, labels));
  }

  showError(message: string): void {
    this.testsHost.replaceChildren(el('p', message, 'warning-text'));
  }
}

/** R1, R2, …: each run's file name (the path in its tooltip), records, left out, and how it was paired. */
function runsList(v: RunsView): HTMLElement {
  const list = el('ul', undefined, 'runs-list');
  for (const r of v.runs) {
    const li = el('li');
    const name = el('span', r.name, 'run-name');
    name.title = r.file;
    li.append(el('strong', `${r.label} `), name);
    li.append(
      el(
        'span',
        ` · ${r.records.toLocaleString()} records · ${r.leftOut.toLocaleString()} left out` +
          (r.pairedBy ? ` · paired with R1 by ${r.pairedBy}` : ''),
        'note',
      ),
    );
    list.append(li);
  }
  return list;
}

/** Rows: category × direction, then subtotals and all; columns: the common records, then each run. */
function accuracyTable(v: RunsView, t: Table): HTMLTableElement {
  const table = el('table', undefined, 'runs');
  table.append(
    el(
      'caption',
      `Accuracy of each run under ${t.rule} (correct / scored) on the records common to all runs; ` +
        '★ marks the best in its row (all of the best on a tie)',
    ),
  );
  const head = el('tr');
  for (const h of ['Category', 'Direction', 'Records']) {
    const th = el('th', h);
    th.scope = 'col';
    head.append(th);
  }
  for (const r of v.runs) {
    const th = el('th', `${r.label} · ${r.name}`, 'num');
    th.scope = 'col';
    th.title = r.file;
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  const row = (cat: string, dir: string, b: Bucket, cls?: string) => {
    const tr = el('tr', undefined, cls);
    const th = el('th', cat);
    th.scope = 'row';
    tr.append(th, el('td', dir), el('td', b.records.toLocaleString(), 'num'));
    b.runs.forEach((s, i) => tr.append(runCell(s, b.best.includes(i), v.runs[i].label)));
    body.append(tr);
  };
  for (const [cat, dirs] of Object.entries(t.byCategoryDirection)) {
    for (const [dir, b] of Object.entries(dirs)) row(cat, dir, b);
    if (t.byCategory[cat]) row(cat, 'both', t.byCategory[cat], 'subtotal');
  }
  for (const [dir, b] of Object.entries(t.byDirection)) row('all', dir, b, 'subtotal');
  row('all', 'both', t.overall, 'total');
  table.append(thead, body);
  return table;
}

/** A run's accuracy in a bucket; the best: bold, a ★ and the words "best" for screen readers and the tooltip. */
function runCell(s: Bucket['runs'][number], best: boolean, label: string): HTMLTableCellElement {
  const td = el('td', undefined, best ? 'num best' : 'num');
  if (!s.total) {
    td.textContent = '—';
    td.title = `${label}: nothing scored in this bucket`;
    return td;
  }
  if (best) td.append(el('span', '★ ', 'best-mark'));
  td.append(el('span', pct(s.accuracy), 'acc'), el('span', ` ${s.correct}/${s.total}`, 'frac'));
  if (best) td.append(el('span', ' (best)', 'visually-hidden'));
  td.title = `${label}: ${s.correct} correct of ${s.total} scored${best ? ' — best in this row' : ''}`;
  return td;
}

/** One row a pair: pairs, flips each way, discordant, p and what it means. */
function testsTable(results: readonly PairwiseView[], labels: readonly string[]): HTMLTableElement {
  const table = el('table', undefined, 'runs-tests-table');
  table.append(el('caption', `Exact McNemar test${results.length > 1 ? 's' : ''} (${results[0]?.rule ?? ''})`));
  const head = el('tr');
  for (const h of ['A', 'B', 'Pairs', 'A right → B wrong', 'A wrong → B right', 'Discordant', 'p', '']) head.append(el('th', h));
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  for (const r of results) {
    const tr = el('tr');
    const sig = r.mcnemar.p < 0.05;
    tr.append(
      el('td', labels[r.a]),
      el('td', labels[r.b]),
      el('td', `${r.paired.toLocaleString()} (by ${r.pairedBy})`, 'num'),
      el('td', String(r.flips.rightToWrong), 'num'),
      el('td', String(r.flips.wrongToRight), 'num'),
      el('td', String(r.mcnemar.discordant), 'num'),
      el('td', pText(r.mcnemar.p), sig ? 'num significant' : 'num'),
      el('td', sig ? 'unlikely to be noise (p < 0.05)' : 'could well be noise (p ≥ 0.05)', sig ? 'significant' : 'note'),
    );
    body.append(tr);
  }
  table.append(thead, body);
  return table;
}

/** The p-values of every pair as a matrix (upper triangle; the diagonal and lower half empty). */
function pMatrix(results: readonly PairwiseView[], labels: readonly string[]): HTMLTableElement {
  const table = el('table', undefined, 'p-matrix');
  table.append(el('caption', 'p-values of every pair (row A, column B)'));
  const head = el('tr');
  head.append(el('th', ''));
  for (const l of labels.slice(1)) head.append(el('th', l, 'num'));
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  labels.slice(0, -1).forEach((la, i) => {
    const tr = el('tr');
    const th = el('th', la);
    th.scope = 'row';
    tr.append(th);
    labels.slice(1).forEach((_, k) => {
      const j = k + 1;
      const r = results.find((x) => x.a === i && x.b === j);
      tr.append(el('td', r ? pText(r.mcnemar.p) : '', r && r.mcnemar.p < 0.05 ? 'num significant' : 'num'));
    });
    body.append(tr);
  });
  table.append(thead, body);
  return table;
}
