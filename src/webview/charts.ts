/**
 * The one place that draws charts (uPlot: canvas, no eval, no inline <style>; it sets element styles
 * through the CSSOM, which the webview's CSP allows). Every chart:
 * - takes its colours from VS Code's theme variables (--vscode-charts-*, the foreground, the editor
 *   background) and is drawn again when the body's theme class changes (light, dark, high contrast);
 * - shows its numbers on hover (the legend under it reads the values at the cursor);
 * - has a table of the same numbers beside it, visually hidden until "Show numbers" is pressed, so
 *   that a screen reader reads the numbers and not a picture;
 * - follows its container's width.
 */
import uPlot from 'uplot';
import { el } from './dom';
import { decimationIndexes, smoothCurve } from '../core/chartsData';

export type ChartColour = 'blue' | 'orange' | 'green' | 'red' | 'yellow' | 'purple' | 'foreground';

const FALLBACK: Record<ChartColour, string> = {
  blue: '#3794ff',
  orange: '#d18616',
  green: '#89d185',
  red: '#f14c4c',
  yellow: '#cca700',
  purple: '#b180d7',
  foreground: '#cccccc',
};

/** A theme colour as the page's CSS variables give it now. */
export function themeColour(c: ChartColour): string {
  const name = c === 'foreground' ? '--vscode-foreground' : `--vscode-charts-${c}`;
  return getComputedStyle(document.body).getPropertyValue(name).trim() || FALLBACK[c];
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

export function highContrast(): boolean {
  return document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
}

/** Charts on the page, drawn again on a theme change; those no longer in the page are dropped. */
const live = new Set<{ root: HTMLElement; draw: () => void }>();
let watching = false;
function watchTheme(): void {
  if (watching) return;
  watching = true;
  new MutationObserver(() => {
    for (const c of [...live]) {
      if (c.root.isConnected) c.draw();
      else live.delete(c);
    }
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}

export interface BarSeries {
  label: string;
  values: (number | null)[];
  colour: ChartColour;
  /** A colour per bar (e.g. by sign), instead of the series' one. */
  colourOf?: (value: number | null, index: number) => ChartColour;
}

export interface BarChartSpec {
  /** What the chart shows: its caption, the table's caption, the canvas's accessible name. */
  title: string;
  /** One group of bars per category, labelled under the x axis. */
  categories: string[];
  /** One bar per series in each group. */
  series: BarSeries[];
  /** How a value reads (hover, table; the axis too unless `axisFormat`). */
  format: (v: number) => string;
  /** How the y axis's ticks read. */
  axisFormat?: (v: number) => string;
  /** Counts: whole-number ticks only. */
  integer?: boolean;
  /** The y range, when it should not follow the data (e.g. [0, 1] for accuracies). */
  range?: [number, number];
  height?: number;
  className?: string;
}

/** A figure: the grouped bars, their hover legend, a "Show numbers" toggle and the table. */
export function barChart(spec: BarChartSpec): HTMLElement {
  const fig = el('figure', undefined, `chart ${spec.className ?? ''}`.trim());
  const plotBox = el('div', undefined, 'chart-plot');
  plotBox.setAttribute('role', 'img');
  plotBox.setAttribute('aria-label', `${spec.title} (the numbers are in the table that follows)`);
  const table = dataTable(
    spec.title,
    spec.categories,
    spec.series.map((s) => ({ label: s.label, values: s.values.map((v) => (v === null ? '—' : spec.format(v))) })),
  );
  fig.append(el('figcaption', spec.title), plotBox, toggle(table), table);
  let plot: uPlot | undefined;
  const draw = () => {
    plot?.destroy();
    plot = new uPlot(barOptions(spec, Math.max(240, plotBox.clientWidth || 600)), barData(spec), plotBox);
  };
  // Drawn once the figure is in the page (its width is known then).
  requestAnimationFrame(() => {
    if (!fig.isConnected) return;
    draw();
    live.add({ root: fig, draw });
    watchTheme();
    new ResizeObserver(() => {
      const w = plotBox.clientWidth;
      if (plot && w && w !== plot.width) plot.setSize({ width: w, height: spec.height ?? 220 });
    }).observe(plotBox);
  });
  return fig;
}

function barData(spec: BarChartSpec): uPlot.AlignedData {
  return [spec.categories.map((_, i) => i), ...spec.series.map((s) => s.values)] as uPlot.AlignedData;
}

/** Tick steps of a count axis: never between two whole numbers. */
const INTEGER_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6];

function barOptions(spec: BarChartSpec, width: number): uPlot.Options {
  const fg = themeColour('foreground');
  const grid = cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.35)');
  const n = spec.series.length;
  const groupWidth = 0.8;
  const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  return {
    width,
    height: spec.height ?? 220,
    legend: { live: true },
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    scales: {
      x: { time: false, range: [-0.5, spec.categories.length - 0.5] },
      y: { range: spec.range ?? ((_u, min, max) => [Math.min(0, min), Math.max(0, max) * 1.1 || 1]) },
    },
    axes: [
      {
        ...axis,
        splits: () => spec.categories.map((_, i) => i),
        values: (_u, splits) => splits.map((i) => spec.categories[i] ?? ''),
        grid: { show: false },
      },
      {
        ...axis,
        values: (_u, splits) => splits.map((v) => (v === null ? '' : (spec.axisFormat ?? spec.format)(v))),
        size: 72,
        ...(spec.integer ? { incrs: INTEGER_STEPS } : {}),
      },
    ],
    series: [
      { label: 'Bucket', value: (_u, v) => (v === null ? '—' : (spec.categories[v] ?? '')) },
      ...spec.series.map((s, si): uPlot.Series => {
        const fill = themeColour(s.colour);
        return {
          label: s.label,
          fill,
          stroke: fill,
          width: 0,
          value: (_u, v) => (v === null ? '—' : spec.format(v)),
          paths: uPlot.paths.bars!({
            disp: {
              x0: { unit: 1, values: (u) => (u.data[0] as number[]).map((x) => x - groupWidth / 2 + (si * groupWidth) / n) },
              size: { unit: 1, values: (u) => (u.data[0] as number[]).map(() => (groupWidth / n) * 0.92) },
              ...(s.colourOf ? { fill: { unit: 3, values: () => s.values.map((v, i) => themeColour(s.colourOf!(v, i))) } } : {}),
            },
          }),
          points: { show: false },
        };
      }),
    ],
  };
}

/** A table of a chart's numbers: a row per category, a column per series. */
export function dataTable(title: string, categories: string[], columns: { label: string; values: string[] }[]): HTMLTableElement {
  const table = el('table', undefined, 'chart-table visually-hidden');
  table.append(el('caption', title));
  const head = el('tr');
  head.append(el('th', ''));
  for (const c of columns) {
    const th = el('th', c.label);
    th.scope = 'col';
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  categories.forEach((cat, i) => {
    const tr = el('tr');
    const th = el('th', cat);
    th.scope = 'row';
    tr.append(th);
    for (const c of columns) tr.append(el('td', c.values[i] ?? '', 'num'));
    body.append(tr);
  });
  table.append(thead, body);
  return table;
}

/** "Show numbers": the table of a chart, shown and hidden (a screen reader reads it either way). */
function toggle(table: HTMLTableElement): HTMLButtonElement {
  const b = el('button', 'Show numbers', 'chart-toggle');
  b.setAttribute('aria-expanded', 'false');
  b.addEventListener('click', () => {
    const shown = table.classList.toggle('visually-hidden') === false;
    b.textContent = shown ? 'Hide numbers' : 'Show numbers';
    b.setAttribute('aria-expanded', String(shown));
  });
  return b;
}

export interface MatrixSpec {
  title: string;
  rowLabel: string;
  columnLabel: string;
  rows: string[];
  columns: string[];
  counts: number[][];
  /** The cells counted as right (the diagonal), marked apart. */
  isDiagonal?: (row: number, column: number) => boolean;
}

/**
 * A matrix as a heat map that is a table: each cell's count shaded by its share of the largest,
 * its row share on hover. Being a table, it is its own text alternative.
 */
export function matrixChart(spec: MatrixSpec): HTMLElement {
  const fig = el('figure', undefined, 'chart chart-matrix');
  const table = el('table', undefined, 'matrix');
  table.append(el('caption', spec.title));
  const head = el('tr');
  const corner = el('th', `${spec.rowLabel} \\ ${spec.columnLabel}`);
  corner.scope = 'col';
  head.append(corner);
  for (const c of spec.columns) {
    const th = el('th', c);
    th.scope = 'col';
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  const max = Math.max(1, ...spec.counts.flat());
  const cells: [HTMLTableCellElement, number][] = [];
  spec.rows.forEach((r, ri) => {
    const tr = el('tr');
    const th = el('th', r);
    th.scope = 'row';
    tr.append(th);
    const rowTotal = spec.counts[ri].reduce((x, y) => x + y, 0);
    spec.columns.forEach((c, ci) => {
      const n = spec.counts[ri][ci];
      const td = el('td', n.toLocaleString(), `num${spec.isDiagonal?.(ri, ci) ? ' diagonal' : ''}`);
      const ofRow = rowTotal ? ` (${((n / rowTotal) * 100).toFixed(1)}% of ${spec.rowLabel} ${r})` : '';
      td.title = `${spec.rowLabel} ${r}, ${spec.columnLabel} ${c}: ${n.toLocaleString()}${ofRow}`;
      cells.push([td, n / max]);
      tr.append(td);
    });
    body.append(tr);
  });
  table.append(thead, body);
  fig.append(table);
  const shade = () => {
    const blue = themeColour('blue');
    for (const [td, share] of cells)
      td.style.backgroundColor = share ? `color-mix(in srgb, ${blue} ${Math.round(10 + share * 60)}%, transparent)` : '';
  };
  shade();
  live.add({ root: fig, draw: shade });
  watchTheme();
  return fig;
}

export interface LineSeries {
  /** The run and metric, as the legend and the table name it. */
  label: string;
  /** Steps (ascending). Series with different steps are overlaid: each is drawn at its own steps. */
  x: number[];
  y: (number | null)[];
  colour: ChartColour;
  /** Marks only, no line (e.g. eval points). */
  points?: boolean;
}

export interface LineChartSpec {
  title: string;
  series: LineSeries[];
  /** How a value reads (hover, axis, table). */
  format: (v: number) => string;
  /** Smoothing weight 0–1 (exponential moving average, as TensorBoard's; marks are never smoothed). */
  smoothing?: number;
  /** A log y axis (values ≤ 0 are not drawn). */
  log?: boolean;
  height?: number;
  /** A click (not a drag) on the plot: the step under the cursor. */
  onPick?: (step: number) => void;
  /** The step range shown changed (a drag, a double-click back to all, setXRange): the range, undefined when all is shown. */
  onZoom?: (range: [number, number] | undefined) => void;
  /** Charts with the same key move their hover cursor together. */
  syncKey?: string;
}

/** A line chart's figure and how to change its smoothing or scale without building it again. */
export interface LineChart {
  element: HTMLElement;
  update(change: { smoothing?: number; log?: boolean }): void;
  /** The step range shown now (after a zoom, the zoomed one); undefined before the first draw. */
  xRange(): [number, number] | undefined;
  /** Show a step range, or every step (undefined), without calling onZoom. */
  setXRange(range: [number, number] | undefined): void;
  /** Settles once the chart is first drawn (when it comes near the view). */
  drawn: Promise<void>;
  /** The steps the plot has points at now: a few per pixel column of the range shown (for tests). */
  shownSteps(): number[];
}

/**
 * Curves over steps: drag across to zoom to a step range, double-click to zoom out, hover to read
 * every series at the step. Drawn once it comes within 300px of the view. Its table gives each
 * series' first, last, lowest and highest values (a table of 10k points would help no one).
 */
export function lineChart(spec: LineChartSpec): LineChart {
  let current = { ...spec };
  const fig = el('figure', undefined, 'chart chart-lines');
  const plotBox = linePlotBox(spec);
  const table = lineTable(spec);
  fig.append(el('figcaption', spec.title), plotBox, toggle(table), table);
  let plot: uPlot | undefined;
  // The zoomed step range (kept across redraws: smoothing, scale, theme), undefined when every step shows.
  let zoomed: [number, number] | undefined;
  let markDrawn = () => {};
  const drawn = new Promise<void>((resolve) => (markDrawn = resolve));
  const points = new Thinning(
    () => plot,
    () => Math.max(240, plotBox.clientWidth || 600),
  );
  const apply = (range: [number, number] | undefined) => {
    const r = range ?? points.extent;
    if (plot && r) plot.setScale('x', { min: r[0], max: r[1] });
  };
  // uPlot reports scale changes after the fact (its commit): only a range other than the one kept is news,
  // so that charts that follow each other's zoom do not answer each other for ever. Any new range gets
  // points of its own (zooming in shows every step again), once uPlot's commit is over.
  const onScale = (u: uPlot, key: string) => {
    const f = points.extent;
    const x = u.scales.x;
    if (key !== 'x' || x.min === undefined || x.max === undefined || !f || points.refilling) return;
    const now: [number, number] | undefined = x.min <= f[0] && x.max >= f[1] ? undefined : [x.min, x.max];
    if (!sameRange(now, points.range)) {
      points.range = now;
      queueMicrotask(() => plot === u && now === points.range && points.refill(u, now));
    }
    if (sameRange(now, zoomed)) return;
    zoomed = now;
    current.onZoom?.(zoomed);
  };
  const draw = () => {
    plot?.destroy();
    plot = undefined;
    const data = points.reset(current, zoomed);
    const opts = lineOptions(current, Math.max(240, plotBox.clientWidth || 600));
    const x = { time: false, auto: () => !points.refilling };
    plot = new uPlot({ ...opts, scales: { ...opts.scales, x }, hooks: { setScale: [onScale] } }, data, plotBox);
    if (zoomed) apply(zoomed);
    if (current.onPick) pickOnClick(plot, current.onPick);
  };
  // Drawn when it comes near the view (the first paint draws only the charts that show), then kept
  // drawn: again on a theme change, resized with its box (not on the observer's first call: same width).
  const io = new IntersectionObserver(
    (seen) => {
      if (!seen.some((e) => e.isIntersecting) || !fig.isConnected) return;
      io.disconnect();
      draw();
      markDrawn();
      live.add({ root: fig, draw });
      watchTheme();
      new ResizeObserver(() => {
        const w = plotBox.clientWidth;
        if (!plot || !w || w === plot.width) return;
        plot.setSize({ width: w, height: spec.height ?? 260 });
        points.refill(plot, points.range); // points for the new width
      }).observe(plotBox);
    },
    // The document as root: in VS Code's webview (a cross-origin frame) the implicit root is the top page's
    // viewport, and a margin would be ignored.
    { root: document, rootMargin: '300px 0px' },
  );
  io.observe(fig);
  return {
    element: fig,
    update(change) {
      current = { ...current, ...change };
      if (plot) draw();
    },
    xRange() {
      const x = plot?.scales.x;
      return x?.min === undefined || x.max === undefined ? undefined : [x.min, x.max];
    },
    setXRange(range) {
      zoomed = range;
      apply(range);
    },
    shownSteps() {
      return plot ? [...(plot.data[0] as number[])] : [];
    },
    drawn,
  };
}

function linePlotBox(spec: LineChartSpec): HTMLElement {
  const plotBox = el('div', undefined, 'chart-plot');
  plotBox.setAttribute('role', 'img');
  plotBox.setAttribute('aria-label', `${spec.title} (a summary of each series is in the table that follows)`);
  // Its height kept before it is drawn (the plot and about two lines of read-out): charts below the view stay below it,
  // undrawn, and the page does not jump as they are drawn.
  plotBox.style.minHeight = `${(spec.height ?? 260) + 60}px`;
  return plotBox;
}

/**
 * The series as drawn: when smoothing, each line twice, first as logged (faint, its own legend entry,
 * so the hover reads the logged value too), then smoothed over it, as TensorBoard shows them.
 */
function drawnSeries(spec: LineChartSpec): { s: LineSeries; raw: boolean }[] {
  const smoothing = (spec.smoothing ?? 0) > 0;
  return spec.series.flatMap((s) =>
    s.points || !smoothing
      ? [{ s, raw: false }]
      : [
          { s, raw: true },
          { s, raw: false },
        ],
  );
}

/** Where a plot's drawing area lies across its canvas, in device pixels. */
interface Pixels {
  left: number;
  width: number;
}
/** A line chart's y axis width and its right padding (CSS pixels): the plot's drawing area lies between. */
const Y_AXIS_SIZE = 72;
const RIGHT_PADDING = 25; // what uPlot gives by default (half its default axis size)

const sameRange = (a: [number, number] | undefined, b: [number, number] | undefined) => a?.[0] === b?.[0] && a?.[1] === b?.[1];

/**
 * A line chart's points: every step of every series (the lines smoothed once per draw), and the step
 * range the plot's points were thinned for (see decimationIndexes): the plot gets a few points per pixel
 * column of that range, so that drawing, hover and zoom handle a few thousand points, not every step.
 */
class Thinning {
  private curves: Curve[] = [];
  /** Every series' first to last step. */
  extent: [number, number] | undefined;
  /** The range the plot's points are for (undefined: every step). */
  range: [number, number] | undefined;
  /** While the plot's points are replaced: its x scale keeps its range. */
  refilling = false;

  constructor(
    private readonly plot: () => uPlot | undefined,
    private readonly width: () => number,
  ) {}

  /** The plot's pixel columns: its own once drawn, before that as uPlot will lay it out (see lineOptions). */
  private pixels(): Pixels {
    const drawn = this.plot()?.bbox;
    if (drawn?.width) return { left: drawn.left, width: drawn.width };
    const ratio = window.devicePixelRatio || 1;
    const half = (v: number) => Math.round(v * 2) / 2; // uPlot's bbox is in device pixels, to the half
    return { left: half(Y_AXIS_SIZE * ratio), width: half((this.width() - Y_AXIS_SIZE - RIGHT_PADDING) * ratio) };
  }

  /** The curves of `spec`, thinned for `range`. */
  reset(spec: LineChartSpec, range: [number, number] | undefined): uPlot.AlignedData {
    this.curves = drawnCurves(spec);
    this.extent = extentOf(this.curves);
    this.range = range;
    return thinned(this.curves, this.pixels(), range);
  }

  /** The plot's points replaced by those for `range` (the width may have changed too). */
  refill(plot: uPlot, range: [number, number] | undefined): void {
    this.range = range;
    this.refilling = true;
    try {
      plot.setData(thinned(this.curves, this.pixels(), range));
    } finally {
      this.refilling = false;
    }
  }
}

/** A series' steps and the values drawn of it (logged, and smoothed when smoothing: read at the same steps). */
interface Curve {
  x: readonly number[];
  ys: (readonly (number | null)[])[];
  /** Marks (eval points): every one drawn. */
  points: boolean;
}

function drawnCurves(spec: LineChartSpec): Curve[] {
  const smoothing = spec.smoothing ?? 0;
  return spec.series.map((s) => ({
    x: s.x,
    ys: s.points || !(smoothing > 0) ? [s.y] : [s.y, smoothCurve(s.y, smoothing)],
    points: !!s.points,
  }));
}

function extentOf(curves: readonly Curve[]): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of curves) {
    if (!c.x.length) continue;
    lo = Math.min(lo, c.x[0]);
    hi = Math.max(hi, c.x[c.x.length - 1]);
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/**
 * The plot's data: each curve thinned to the points that draw it in the plot's pixel columns over `range` (every
 * step, when undefined; the columns then span every series' steps, so that overlaid runs share them),
 * marks all kept; joined on their steps. Hover reads exact logged values, at the steps kept.
 */
function thinned(curves: readonly Curve[], px: Pixels, range: [number, number] | undefined): uPlot.AlignedData {
  const over = range ?? extentOf(curves);
  // Curves at the same steps (the logged and smoothed line, runs logged alike) are thinned together, to
  // the same steps, so that the hover reads each of them at every step kept.
  const groups: number[][] = [];
  curves.forEach((c, i) => {
    const g = c.points ? undefined : groups.find((g) => !curves[g[0]].points && sameSteps(curves[g[0]].x, c.x));
    if (g) g.push(i);
    else groups.push([i]);
  });
  const tables = groups.map((g): uPlot.AlignedData => {
    const ys = g.flatMap((i) => curves[i].ys);
    const x = curves[g[0]].x;
    if (curves[g[0]].points) return [x as number[], ...ys] as uPlot.AlignedData;
    const idx = decimationIndexes(x, ys, px.width, over, px.left);
    return [idx.map((i) => x[i]), ...ys.map((y) => idx.map((i) => y[i]))] as uPlot.AlignedData;
  });
  const joined = tables.length === 1 ? tables[0] : uPlot.join(tables);
  // Back in the curves' order (the plot's series), from the groups'.
  const column: number[] = [];
  let k = 1;
  for (const g of groups) for (const i of g) for (let j = 0; j < curves[i].ys.length; j++) column[i * 2 + j] = k++;
  const out: uPlot.AlignedData = [joined[0]];
  curves.forEach((c, i) => c.ys.forEach((_, j) => out.push(joined[column[i * 2 + j]])));
  return out;
}

function sameSteps(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function lineOptions(spec: LineChartSpec, width: number): uPlot.Options {
  const fg = themeColour('foreground');
  const grid = cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.35)');
  const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const hc = highContrast();
  return {
    width,
    height: spec.height ?? 260,
    legend: { live: true },
    // The drawing area's left and right edges fixed (Thinning lays out the pixel columns before uPlot does).
    padding: [null, RIGHT_PADDING, null, 0],
    cursor: { drag: { x: true, y: false, setScale: true }, ...(spec.syncKey ? { sync: { key: spec.syncKey } } : {}) },
    scales: { x: { time: false }, y: spec.log ? { distr: 3 } : {} },
    axes: [
      { ...axis, label: 'step', size: 36, labelSize: 18, labelGap: 0 },
      { ...axis, values: (_u, splits) => splits.map((v) => (v === null ? '' : spec.format(v))), size: Y_AXIS_SIZE },
    ],
    series: [
      { label: 'step', value: (_u, v) => (v === null ? '—' : String(v)) },
      ...drawnSeries(spec).map(({ s, raw }): uPlot.Series => {
        const colour = themeColour(s.colour);
        return {
          label: raw ? `${s.label} (logged)` : s.label,
          stroke: colour,
          ...(raw ? { alpha: hc ? 0.5 : 0.3 } : {}),
          width: raw ? 1 : hc ? 2 : 1.5,
          spanGaps: true,
          value: (_u, v) => (v === null ? '—' : spec.format(v)),
          ...(s.points
            ? // Marks: in high contrast, rimmed in the foreground so that they stand out from a line of their colour.
              { paths: () => null, points: { show: true, size: hc ? 9 : 7, fill: colour, stroke: hc ? fg : colour, width: hc ? 2 : 1 } }
            : { points: { show: false } }),
        };
      }),
    ],
  };
}

/** A click that is not the end of a drag picks the step under the cursor. */
function pickOnClick(u: uPlot, pick: (step: number) => void): void {
  let downX = 0;
  u.over.addEventListener('mousedown', (e) => (downX = e.clientX));
  u.over.addEventListener('mouseup', (e) => {
    const idx = u.cursor.idx;
    if (Math.abs(e.clientX - downX) < 3 && idx !== null && idx !== undefined) pick(u.data[0][idx]);
  });
}

function lineTable(spec: LineChartSpec): HTMLTableElement {
  const columns = ['first', 'last', 'lowest', 'highest'];
  const rows = spec.series.map((s) => {
    // One pass; ties as a sort by value gives them: the first of the lowest, the last of the highest.
    let first = -1;
    let last = -1;
    let low = -1;
    let high = -1;
    s.y.forEach((v, i) => {
      if (v === null) return;
      if (first < 0) first = low = high = i;
      last = i;
      if (v < s.y[low]!) low = i;
      if (v >= s.y[high]!) high = i;
    });
    const at = (i: number) => (i < 0 ? '—' : `${spec.format(s.y[i]!)} at step ${s.x[i]}`);
    return [at(first), at(last), at(low), at(high)];
  });
  return dataTable(
    spec.title,
    spec.series.map((s) => s.label),
    columns.map((label, ci) => ({ label, values: rows.map((r) => r[ci]) })),
  );
}
