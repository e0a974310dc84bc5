/** The summary's charts: accuracy per category × direction under both rules, the answer letters against the gold, gold × predicted. */
import type { SummaryHostMessage } from '../core/protocol';
import { barChart, matrixChart } from './charts';
import { el } from './dom';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function summaryCharts(m: SummaryHostMessage): HTMLElement {
  const box = el('section', undefined, 'charts summary-charts');
  box.append(el('h2', 'Charts'));
  const a = m.byRule.mcq_infer;
  const g = m.byRule.grpo_reward;
  const buckets: string[] = [];
  const acc: [(number | null)[], (number | null)[]] = [[], []];
  for (const [cat, dirs] of Object.entries(a.byCategoryDirection)) {
    for (const [dir, b] of Object.entries(dirs)) {
      buckets.push(`${cat} ${dir}`);
      acc[0].push(b.total ? b.accuracy : null);
      const gb = g.byCategoryDirection[cat]?.[dir];
      acc[1].push(gb?.total ? gb.accuracy : null);
    }
  }
  box.append(
    barChart({
      title: 'Accuracy per category and direction under both rules',
      categories: buckets,
      series: [
        { label: 'mcq_infer', values: acc[0], colour: 'blue' },
        { label: 'grpo_reward', values: acc[1], colour: 'orange' },
      ],
      format: pct,
      range: [0, 1],
      className: 'chart-accuracy',
    }),
  );
  const charts = m.charts?.[m.activeRule];
  if (!charts) return box;
  const { letters, confusion } = charts;
  const scored = letters.predicted.reduce((x, y) => x + y, 0);
  const share = (v: number) => (scored ? `${v.toLocaleString()} (${((v / scored) * 100).toFixed(1)}%)` : String(v));
  box.append(
    barChart({
      title:
        `Answer letters against the gold letters (${m.activeRule}, ${scored.toLocaleString()} scored records): ` +
        'does the model favour a position?',
      categories: letters.bins,
      series: [
        { label: 'predicted', values: letters.predicted, colour: 'purple' },
        { label: 'gold', values: letters.gold, colour: 'green' },
      ],
      format: share,
      axisFormat: (v) => v.toLocaleString(),
      integer: true,
      className: 'chart-letters',
    }),
    matrixChart({
      title: `Gold × predicted letter (${m.activeRule}; "none": unanswered, counted wrong)`,
      rowLabel: 'gold',
      columnLabel: 'predicted',
      rows: confusion.gold,
      columns: confusion.predicted,
      counts: confusion.counts,
      isDiagonal: (r, c) => r === c && r < 4,
    }),
  );
  return box;
}
