/**
 * Two sets of judge scores of route answers, as the comparison view and the judge agreement view
 * show them (the object of src/core/judge/compareRuns.ts): each side's mean per direction with what
 * was judged, skipped and failed; the pairs, B − A and the Wilcoxon signed-rank test; the per-part
 * agreement. Text only (textContent).
 */
import type { AgreementHostMessage, AgreementWebviewMessage, JudgeComparisonView } from '../core/protocol';
import { el } from './dom';
import { button } from './toolkit';

type Pairs = Omit<JudgeComparisonView, 'byDirection'>;
type Side = JudgeComparisonView['a'];

const f2 = (x: number | null) => (x === null ? '—' : x.toFixed(2));
const f3 = (x: number | null) => (x === null ? '—' : x.toFixed(3));
const signed = (x: number | null) => (x === null ? '—' : `${x > 0 ? '+' : ''}${x.toFixed(2)}`);
const pText = (p: number) => (Number.isNaN(p) ? 'undefined' : p < 1e-4 ? p.toExponential(2) : p.toFixed(4));

function sideCell(s: Side): HTMLTableCellElement {
  const td = el('td', undefined, 'num judge-side');
  td.append(el('span', f2(s.mean), 'acc'), el('span', ` ${s.judged} judged`, 'frac'));
  const more = [s.skipped && `${s.skipped} skipped`, s.failed && `${s.failed} failed`, s.unparsed && `${s.unparsed} unreadable`]
    .filter(Boolean)
    .join(', ');
  if (more) td.append(el('div', more, 'frac'));
  td.title =
    `${s.judged} judged (mean over them, failed calls and unreadable replies counted as 0, as upstream does); ` +
    `${s.skipped} skipped (empty reference or prediction); ${s.failed} failed calls; ${s.unparsed} unreadable replies; ` +
    `${s.notJudged} not judged yet`;
  return td;
}

function testCell(k: Pairs): HTMLTableCellElement {
  const w = k.wilcoxon;
  if (!w) return el('td', '—', 'num');
  const td = el('td', `p = ${pText(w.pvalue)}`, `num${w.pvalue < 0.05 ? ' significant' : ''}`);
  td.title = `Wilcoxon signed-rank (${w.method}): W = ${w.statistic} over ${w.nonZero} non-zero differences of ${w.n} pairs`;
  return td;
}

/** Each side's score per direction and both, the pairs, B − A (paired) and the test's p. */
export function judgeScoresTable(j: JudgeComparisonView, labels: [string, string] = ['A', 'B']): HTMLTableElement {
  const table = el('table', undefined, 'judge-compare');
  table.append(
    el(
      'caption',
      `Judge score (0–5) of the route answers: each side's mean over its judged answers, and ${labels[1]} − ${labels[0]} ` +
        'over the answers judged on both sides (paired by sample key)',
    ),
  );
  const head = el('tr');
  for (const h of ['Direction', labels[0], labels[1], 'Pairs', `${labels[1]} − ${labels[0]}`, 'Wilcoxon']) head.append(el('th', h));
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  const row = (dir: string, k: Pairs, cls?: string) => {
    const tr = el('tr', undefined, cls);
    const d = k.meanDiff;
    const diff = el('td', signed(d), `num ${d === null ? '' : d > 0 ? 'up' : d < 0 ? 'down' : ''}`);
    diff.title = `paired means: ${labels[0]} ${f3(k.meanA)}, ${labels[1]} ${f3(k.meanB)}`;
    const pairs = el('td', String(k.pairs), 'num');
    pairs.title = `judged in ${labels[0]} only: ${k.onlyA}; in ${labels[1]} only: ${k.onlyB}`;
    tr.append(el('th', dir), sideCell(k.a), sideCell(k.b), pairs, diff, testCell(k));
    body.append(tr);
  };
  row('forward', j.byDirection.forward);
  row('reverse', j.byDirection.reverse);
  row('both', j, 'total');
  table.append(thead, body);
  return table;
}

/** The overall test in words. */
export function wilcoxonLine(j: Pairs, labels: [string, string] = ['A', 'B']): HTMLParagraphElement {
  const w = j.wilcoxon;
  if (!w) return el('p', `No answer is judged on both sides yet: no paired test.`, 'note judge-test');
  const p = w.pvalue;
  const verdict = Number.isNaN(p)
    ? 'every pair is tied: no difference to test'
    : p < 0.05
      ? 'the difference is unlikely to be noise (p < 0.05)'
      : 'the difference could well be noise (p ≥ 0.05)';
  return el(
    'p',
    `Wilcoxon signed-rank test (${w.method}, two-sided) on ${w.n} pairs, ${w.nonZero} with a difference: ` +
      `W = ${w.statistic}, p = ${pText(p)}; mean ${labels[1]} − ${labels[0]} ${signed(j.meanDiff)} — ${verdict}. ` +
      `Judged on one side only: ${j.onlyA} in ${labels[0]}, ${j.onlyB} in ${labels[1]}.`,
    !Number.isNaN(p) && p < 0.05 ? 'significant judge-test' : 'note judge-test',
  );
}

/** Per part: exact match rate, mean absolute difference, quadratic-weighted kappa. */
export function judgeAgreementTable(j: Pairs): HTMLTableElement {
  const table = el('table', undefined, 'judge-agreement');
  table.append(el('caption', `Agreement per part over ${j.pairs} pairs (scores 0–5; kappa with quadratic weights)`));
  const head = el('tr');
  for (const h of ['Part', 'Exact match', 'Mean |difference|', 'Weighted kappa']) head.append(el('th', h));
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  for (const [name, g] of [
    ['direction', j.agreement.direction],
    ['landmark', j.agreement.landmark],
    ['semantic and logic', j.agreement.semantic],
  ] as const) {
    const tr = el('tr');
    const kappa = el('td', f3(g.kappa), 'num');
    kappa.title = `${g.kappaN} pairs with whole scores 0–5 on both sides`;
    tr.append(el('th', name), el('td', g.exactMatch === null ? '—' : `${(g.exactMatch * 100).toFixed(1)}%`, 'num'));
    tr.append(el('td', f3(g.meanAbsDiff), 'num'), kappa);
    body.append(tr);
  }
  table.append(thead, body);
  return table;
}

/** The comparison view's section: the table and the test, or why there is nothing to compare yet. */
export function judgeSection(j: JudgeComparisonView): HTMLElement {
  const box = el('section', undefined, 'judge-section');
  box.append(el('h2', 'Route answers (LLM judge, 0–5)'));
  if (!j.a.judged && !j.b.judged) {
    box.append(el('p', 'No route answer of either run is judged yet: run “ST-Think: Judge Route Answers…” on each.', 'note'));
    return box;
  }
  box.append(judgeScoresTable(j), wilcoxonLine(j));
  box.append(
    el(
      'p',
      'Each run\u2019s mean counts failed calls and unreadable replies as 0 (upstream\u2019s rule); the pairs leave them out ' +
        '(they are no judge\u2019s opinion).',
      'note',
    ),
  );
  return box;
}

/** The judge agreement view: the two judgments, the agreement per part, then each judge's scores and the test. */
export function renderAgreement(root: HTMLElement, m: AgreementHostMessage, post: (m: AgreementWebviewMessage) => void): void {
  const j = m.judge;
  root.replaceChildren();
  root.append(el('h1', 'Judge agreement'), el('p', m.file, 'path'), el('p', `A: ${m.a}`, 'judge-a'), el('p', `B: ${m.b}`, 'judge-b'));
  root.append(
    el(
      'p',
      `${j.pairs} route answers judged by both (paired by sample key; failed calls and unreadable replies left out); ` +
        `judged by A only: ${j.onlyA}, by B only: ${j.onlyB}.`,
    ),
  );
  if (!j.pairs) root.append(el('p', 'No answer is judged by both: nothing to compare.', 'note'));
  root.append(judgeAgreementTable(j));
  root.append(
    el(
      'p',
      'Exact match: the share of pairs with the same score. Weighted kappa: Cohen\u2019s kappa with quadratic weights on 0–5 ' +
        '(1: full agreement, 0: what chance would give).',
      'note',
    ),
  );
  root.append(el('h2', 'Scores of each judge'), judgeScoresTable(j), wilcoxonLine(j));
  const bar = el('p', undefined, 'actions');
  bar.append(button('Export…', () => post({ type: 'exportAgreement' }), { title: 'The tables as CSV (the agreement), Markdown or LaTeX' }));
  root.append(bar);
}
