/** The comparison view's renderer (text only, through textContent). */
import type { CompareWebviewMessage, ComparisonView } from '../core/protocol';
import { button } from './toolkit';
import { el } from './dom';
import { barChart } from './charts';
import { bucketBars } from '../core/chartsData';
import { judgeSection } from './judgeCompare';

type Post = (m: CompareWebviewMessage) => void;

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
const pts = (x: number | null) => (x === null ? '—' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`);

export function renderComparison(root: HTMLElement, c: ComparisonView, post: Post): void {
  root.replaceChildren();
  root.append(el('h1', 'Compare runs'), el('p', `A: ${c.a}`, 'path'), el('p', `B: ${c.b}`, 'path'));
  root.append(
    el(
      'p',
      `${c.paired.toLocaleString()} pairs (by ${c.pairedBy === 'source' ? 'the record each re-run re-ran' : c.pairedBy}) · ` +
        `unpaired: ${c.unpairedA} in A, ${c.unpairedB} in B · rule ${c.rule}`,
    ),
  );

  if (c.accuracyOver === 'paired')
    root.append(
      el(
        'p',
        `Paired records only: ${c.paired.toLocaleString()}. One side is re-runs, which hold only the records re-run, so the ` +
          'accuracies and B − A are over the paired records (each record against its latest re-run; superseded re-runs left out).',
        'note paired-only',
      ),
    );
  root.append(accuracyTable(c), compareCharts(c));

  const f = c.flips;
  root.append(el('h2', 'Flips'));
  root.append(
    el(
      'p',
      `A right → B wrong: ${f.rightToWrong} · A wrong → B right: ${f.wrongToRight} · ` +
        `both right: ${f.bothRight} · both wrong: ${f.bothWrong} · unscored: ${f.unscored}`,
    ),
  );
  const p = c.mcnemar.p;
  root.append(
    el(
      'p',
      `Exact McNemar test on ${c.mcnemar.discordant} discordant pairs: p = ${p < 1e-4 ? p.toExponential(2) : p.toFixed(4)} — ` +
        `${p < 0.05 ? 'the change is unlikely to be noise (p < 0.05)' : 'the change could well be noise (p ≥ 0.05)'}.`,
      p < 0.05 ? 'significant' : 'note',
    ),
  );

  root.append(el('h2', 'Forward / reverse consistency'));
  for (const [label, k] of [
    ['A', c.consistencyA],
    ['B', c.consistencyB],
  ] as const) {
    const share = (n: number) => (k.pairs ? `${((n / k.pairs) * 100).toFixed(1)}%` : '—');
    root.append(
      el(
        'p',
        `${label}: ${k.pairs} pairs (same video and category) — ` +
          `both directions right ${share(k.bothCorrect)}, one only ${share(k.oneOnly)}, neither ${share(k.neither)}`,
      ),
    );
  }

  if (c.judge) root.append(judgeSection(c.judge));

  flippedRecords(root, c, post);
}

/** Each run's accuracy per category and direction, and the difference B − A. */
function accuracyTable(c: ComparisonView): HTMLTableElement {
  const table = el('table');
  const over = c.accuracyOver === 'paired' ? `paired records only: ${c.paired.toLocaleString()}` : 'its own records';
  table.append(el('caption', `Accuracy of each run (${over}) and the difference B − A in points`));
  const head = el('tr');
  for (const h of ['Category', 'Direction', 'A', 'B', 'B − A']) head.append(el('th', h));
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  const row = (cat: string, dir: string, k: ComparisonView['overall'], cls?: string) => {
    const tr = el('tr', undefined, cls);
    const d = el('td', pts(k.difference), `num ${k.difference === null ? '' : k.difference > 0 ? 'up' : k.difference < 0 ? 'down' : ''}`);
    tr.append(
      el('th', cat),
      el('td', dir),
      el('td', `${pct(k.a.accuracy)} ${k.a.correct}/${k.a.total}`, 'num'),
      el('td', `${pct(k.b.accuracy)} ${k.b.correct}/${k.b.total}`, 'num'),
      d,
    );
    body.append(tr);
  };
  for (const [cat, dirs] of Object.entries(c.byCategoryDirection)) {
    for (const [dir, k] of Object.entries(dirs)) row(cat, dir, k);
    if (c.byCategory[cat]) row(cat, 'both', c.byCategory[cat], 'subtotal');
  }
  for (const [dir, k] of Object.entries(c.byDirection)) row('all', dir, k, 'subtotal');
  row('all', 'both', c.overall, 'total');
  table.append(thead, body);
  return table;
}

/** The flipped records, filtered by text and kind; each opens its pair. */
function flippedRecords(root: HTMLElement, c: ComparisonView, post: Post): void {
  root.append(el('h2', `Flipped records (${c.flipped.length})`));
  const controls = el('div', undefined, 'frames-bar');
  const filter = el('input');
  filter.type = 'search';
  filter.placeholder = 'Filter by question, id, video, category, direction…';
  filter.setAttribute('aria-label', 'Filter flipped records');
  const kind = el('select');
  for (const [v, t] of [
    ['all', 'all flips'],
    ['rightToWrong', 'right → wrong'],
    ['wrongToRight', 'wrong → right'],
  ]) {
    const o = el('option', t);
    o.value = v;
    kind.append(o);
  }
  controls.append(filter, kind);
  root.append(controls);
  const list = el('table', undefined, 'flips');
  const lhead = el('tr');
  for (const [h, cls] of [
    ['', 'kind'],
    ['Question', 'question'],
    ['Video', 'video'],
    ['Gold', 'gold'],
    ['A → B', 'answers'],
    ['Id', 'ids'],
    ['', 'actions'],
  ])
    lhead.append(el('th', h, cls));
  const lthead = el('thead');
  lthead.append(lhead);
  const lbody = el('tbody');
  list.append(lthead, lbody);
  // Narrower than the table's one-line cells and shortest question: it scrolls sideways, the page does not.
  const scroller = el('div', undefined, 'flips-scroll');
  scroller.append(list);
  root.append(scroller);
  const render = () => {
    const q = filter.value.trim().toLowerCase();
    lbody.replaceChildren();
    let shown = 0;
    for (const x of c.flipped) {
      if (kind.value !== 'all' && x.kind !== kind.value) continue;
      if (q && !`${x.label} ${x.a.id} ${x.b.id} ${x.video} ${x.category} ${x.direction}`.toLowerCase().includes(q)) continue;
      if (++shown > 500) break;
      lbody.append(flipRow(x, post));
    }
    if (shown > 500 || shown === 0) {
      const td = el('td', shown ? 'Showing the first 500: narrow the filter.' : 'No flipped records match.', 'note');
      td.colSpan = 7;
      const tr = el('tr');
      tr.append(td);
      lbody.append(tr);
    }
  };
  filter.addEventListener('input', render);
  kind.addEventListener('change', render);
  render();
}

/**
 * The video's file name, free to break after "_", "-" and "." (names share long prefixes, so an
 * ellipsis would hide what tells them apart); the full path is the tooltip.
 */
function videoCell(video: string): HTMLTableCellElement {
  const td = el('td', undefined, 'video');
  const span = el('span');
  span.title = video;
  videoFileName(video)
    .split(/(?<=[_\-.])/)
    .forEach((piece, k) => {
      if (k) span.append(el('wbr'));
      span.append(piece);
    });
  td.append(span);
  return td;
}

/** The video's file name (the table's short name; the full path is the tooltip). */
function videoFileName(video: string): string {
  return video.split(/[\\/]/).pop() || video;
}

/** A flipped record: kind, question, video, gold, the two predictions, the id (each side's when they differ), what it opens. */
function flipRow(x: ComparisonView['flipped'][number], post: Post): HTMLTableRowElement {
  const tr = el('tr');
  const ids = el('td', undefined, 'ids');
  const title = `A: ${x.a.id} (line ${x.a.line})\nB: ${x.b.id} (line ${x.b.line})`;
  for (const id of x.a.id === x.b.id ? [x.a.id] : [x.a.id, x.b.id]) {
    const span = el('span', id, 'flip-id');
    span.title = title;
    ids.append(span);
  }
  tr.append(
    el('td', x.kind === 'rightToWrong' ? '✓→✗' : '✗→✓', `kind ${x.kind === 'rightToWrong' ? 'down' : 'up'}`),
    el('td', `${x.label} (${x.category}, ${x.direction})`, 'question'),
    x.video ? videoCell(x.video) : el('td', 'no video', 'video note'),
    el('td', x.gold || '—', 'gold'),
    el('td', `${x.a.predicted || '—'} → ${x.b.predicted || '—'}`, 'answers'),
    ids,
  );
  const actions = el('td', undefined, 'actions');
  const buttons = el('div', undefined, 'row-actions');
  actions.append(buttons);
  buttons.append(
    button('Diff', () => post({ type: 'openPair', pair: x.pair, view: 'inline' }), {
      title: 'The two traces side by side with the inline diff of their reasoning (Enter on the row)',
    }),
    button('Diff Editor', () => post({ type: 'openPair', pair: x.pair, view: 'diffEditor' }), {
      secondary: true,
      title: 'The two reasoning chains in VS Code\u2019s diff editor',
    }),
    button('A', () => post({ type: 'openPair', pair: x.pair, view: 'traceA' }), { secondary: true, title: 'Trace of A' }),
    button('B', () => post({ type: 'openPair', pair: x.pair, view: 'traceB' }), { secondary: true, title: 'Trace of B' }),
  );
  tr.append(actions);
  tr.tabIndex = 0;
  tr.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target === tr) post({ type: 'openPair', pair: x.pair, view: 'inline' });
  });
  return tr;
}

/** Per category × direction: B − A in points, and the flips each way. */
function compareCharts(c: ComparisonView): HTMLElement {
  const bars = bucketBars(c);
  const box = el('section', undefined, 'charts compare-charts');
  const categories = bars.map((b) => `${b.category} ${b.direction}`);
  box.append(
    barChart({
      title: 'B − A per category and direction, in accuracy points',
      categories,
      series: [
        {
          label: 'B − A (green: B better, red: B worse)',
          values: bars.map((b) => (b.difference === null ? null : b.difference * 100)),
          colour: 'green',
          colourOf: (v) => (v !== null && v < 0 ? 'red' : 'green'),
        },
      ],
      format: (v) => `${v > 0 ? '+' : ''}${v.toFixed(1)}`,
      className: 'chart-difference',
    }),
    barChart({
      title: 'Flips per category and direction (pairs)',
      categories,
      series: [
        { label: 'A wrong → B right', values: bars.map((b) => b.wrongToRight), colour: 'green' },
        { label: 'A right → B wrong', values: bars.map((b) => b.rightToWrong), colour: 'red' },
      ],
      format: (v) => v.toLocaleString(),
      integer: true,
      className: 'chart-flips',
    }),
  );
  return box;
}
