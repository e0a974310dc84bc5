/**
 * The training curves view: a chart per metric, every run opened in the Training view overlaid,
 * eval points marked; smoothing (TensorBoard's exponential moving average), a log scale where the
 * values allow one, drag to zoom a step range (every chart follows), Reset zoom, hover read-out. A
 * click on a chart, or a step in the steps table, opens that step's completion groups (the host
 * applies the run's stated step mapping). Run names and paths are text (textContent only).
 */
import type { TrainingCurvesHostMessage, WebviewMessage } from '../core/protocol';
import { lineChart, type ChartColour, type LineChart, type LineSeries } from './charts';
import { el } from './dom';

type Curves = TrainingCurvesHostMessage;
type Chart = Curves['charts'][number];

const RUN_COLOURS: ChartColour[] = ['blue', 'orange', 'green', 'purple', 'red', 'yellow'];
/** Rows of the steps table at most: zoom in (or type a step) for the others. */
const MAX_ROWS = 100;
/** The steps table's columns, when the run logs them. */
const TABLE_METRICS = ['reward', 'reward_std', 'completion_length', 'kl', 'loss'];

/** How a metric's value reads: four significant digits, small ones (learning rate, KL) in exponent form. */
export function formatMetric(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e6 ? String(Number(v.toPrecision(4))) : v.toExponential(2);
}

export class TrainingCurvesView {
  private smoothing = 0.6;
  private charts: LineChart[] = [];
  private range: [number, number] | undefined;
  private shown: Curves | undefined;
  private tableRun = 0;
  private tableBox: HTMLElement | undefined;

  constructor(
    private readonly app: HTMLElement,
    private readonly post: (m: WebviewMessage) => void,
  ) {}

  /** Draw `m`; `arrived`: when its message arrived (before it was checked), the start of the first-paint figure. */
  show(m: Curves, arrived = performance.now()): void {
    const t0 = arrived;
    const checked = performance.now();
    this.shown = m;
    this.range = undefined;
    this.tableRun = Math.min(this.tableRun, Math.max(0, m.runs.length - 1));
    const app = this.app;
    app.className = 'training-curves';
    const head = [el('h1', 'Training curves'), this.runList(m)];
    if (!m.charts.length) {
      app.replaceChildren(...head, el('p', 'No metrics in the runs opened: open a trainer_state.json or a training log.', 'note'));
      return;
    }
    this.charts = [];
    const grid = el('div', undefined, 'charts curve-grid');
    for (const c of m.charts) grid.append(this.chart(m, c));
    this.tableBox = el('section', undefined, 'steps-section');
    this.tableBox.append(el('h2', 'Steps'));
    app.replaceChildren(...head, this.controls(), grid, this.tableBox);
    // The steps table (below the charts) is built after the first paint (a zoom before builds it too).
    const table = () => {
      if (this.shown === m && this.tableBox?.childElementCount === 1) this.renderTable();
    };
    const built = performance.now();
    // The first paint: the charts near the view drawn (the others are drawn as they come near), then the frame
    // after, which puts them on screen.
    requestAnimationFrame(() => {
      const frame = performance.now();
      const near = this.charts.filter((c) => c.element.getBoundingClientRect().top < innerHeight + 300);
      const laidOut = performance.now();
      void Promise.all(near.map((c) => c.drawn)).then(() => {
        const drawn = performance.now();
        requestAnimationFrame(() =>
          requestAnimationFrame(() => {
            const end = performance.now();
            // Where the time went (read by scripts/bench-training-paint.mjs): this paint's measures only.
            performance.clearMeasures();
            const measure = (name: string, start: number, end: number) => performance.measure(`curves: ${name}`, { start, end });
            measure('message read and checked', t0, checked);
            measure('view built', checked, built);
            measure('to the next frame', built, frame);
            measure('layout', frame, laidOut);
            measure('near charts drawn', laidOut, drawn);
            measure('two frames to screen', drawn, end);
            const ms = end - t0;
            app.dataset.firstPaintMs = ms.toFixed(0);
            this.post({ type: 'trainingPainted', ms });
            setTimeout(table);
          }),
        );
      });
    });
  }

  private runList(m: Curves): HTMLElement {
    const list = el('ul', undefined, 'curve-runs');
    m.runs.forEach((r, i) => {
      const li = el('li', undefined, `curve-run ${r.mapped ? 'mapped' : 'unmapped'}`);
      const swatch = el('span', '■ ', `swatch colour-${RUN_COLOURS[i % RUN_COLOURS.length]}`);
      swatch.setAttribute('aria-hidden', 'true');
      li.append(
        swatch,
        el('strong', r.name),
        el('span', ` ${r.path}`, 'path'),
        el('p', r.mapping, r.mapped ? 'note mapping' : 'note no-mapping'),
      );
      list.append(li);
    });
    return list;
  }

  private controls(): HTMLElement {
    const bar = el('div', undefined, 'curve-controls');
    const label = el('label', 'Smoothing ');
    const slider = el('input');
    slider.type = 'range';
    slider.min = '0';
    slider.max = '0.99';
    slider.step = '0.01';
    slider.value = String(this.smoothing);
    slider.setAttribute('aria-describedby', 'smoothing-help');
    const value = el('output', this.smoothing.toFixed(2));
    slider.addEventListener('input', () => {
      this.smoothing = Number(slider.value);
      value.textContent = this.smoothing.toFixed(2);
      for (const c of this.charts) c.update({ smoothing: this.smoothing });
    });
    label.append(slider, value);
    const reset = el('button', 'Reset zoom', 'reset-zoom');
    reset.addEventListener('click', () => this.zoom(undefined));
    bar.append(
      label,
      reset,
      el(
        'p',
        'Smoothing: exponential moving average as TensorBoard\u2019s, drawn over the logged values (faint); hover reads both. ' +
          'Drag across a chart to zoom to a step range, double-click or Reset zoom for every step; click a step to open its ' +
          'completion groups (of the run the steps table shows).',
        'note',
      ),
    );
    bar.lastElementChild!.id = 'smoothing-help';
    return bar;
  }

  private chart(m: Curves, c: Chart): HTMLElement {
    const series: LineSeries[] = [];
    for (const s of c.series) {
      series.push({
        label: m.runs[s.run]?.name ?? `run ${s.run + 1}`,
        x: s.steps,
        y: s.values,
        colour: RUN_COLOURS[s.run % RUN_COLOURS.length],
      });
    }
    for (const s of c.evals) {
      const name = m.runs[s.run]?.name ?? `run ${s.run + 1}`;
      series.push({
        label: `${name} eval_${c.metric}`,
        x: s.steps,
        y: s.values,
        colour: RUN_COLOURS[s.run % RUN_COLOURS.length],
        points: true,
      });
    }
    const box = el('div', undefined, 'curve');
    let log = c.logFirst;
    const chart = lineChart({
      title: c.series.length ? c.metric : `eval_${c.metric}`,
      series,
      format: formatMetric,
      smoothing: this.smoothing,
      log,
      height: 200,
      syncKey: 'training',
      // Runs overlaid: a click opens the step of the run the steps table shows.
      onPick: (step) => this.pick(this.tableRun, step),
      onZoom: (range) => this.zoom(range, chart),
    });
    this.charts.push(chart);
    if (c.positive) {
      const label = el('label', undefined, 'log-toggle');
      const box2 = el('input');
      box2.type = 'checkbox';
      box2.checked = log;
      box2.addEventListener('change', () => {
        log = box2.checked;
        chart.update({ log });
      });
      label.append(box2, document.createTextNode(' log scale'));
      box.append(label);
    }
    box.prepend(chart.element);
    return box;
  }

  /** A step range for every chart (undefined: every step), from a chart's drag or Reset zoom. */
  private zoom(range: [number, number] | undefined, from?: LineChart): void {
    this.range = range;
    for (const c of this.charts) if (c !== from) c.setXRange(range);
    this.renderTable();
  }

  private pick(run: number, step: number): void {
    this.post({ type: 'trainingPickStep', run, step });
  }

  /** The steps of a run in the zoomed range, a row per logged step, each opening its groups. */
  private renderTable(): void {
    const m = this.shown;
    const box = this.tableBox;
    if (!m || !box) return;
    const run = m.runs[this.tableRun];
    box.replaceChildren(el('h2', 'Steps'));
    if (m.runs.length > 1) {
      const pickRun = el('select');
      pickRun.setAttribute('aria-label', 'Run of the steps table');
      m.runs.forEach((r, i) => {
        const o = el('option', r.name);
        o.value = String(i);
        o.selected = i === this.tableRun;
        pickRun.append(o);
      });
      pickRun.addEventListener('change', () => {
        this.tableRun = Number(pickRun.value);
        this.renderTable();
      });
      box.append(pickRun);
    }
    const cols = TABLE_METRICS.map((name) => ({
      name,
      s: m.charts.find((c) => c.metric === name)?.series.find((s) => s.run === this.tableRun),
    }));
    const steps = m.charts.map((c) => c.series.find((s) => s.run === this.tableRun)).find((s) => s)?.steps ?? [];
    const inRange = [...new Set(steps)].filter((s) => !this.range || (s >= this.range[0] && s <= this.range[1]));
    const at = cols.map((c) => new Map(c.s?.steps.map((st, i) => [st, c.s!.values[i]]) ?? []));
    box.append(el('p', this.tableNote(inRange.length, run?.mapped ?? false), 'note'));
    box.append(this.stepInput(run?.mapped ?? false));
    const table = el('table', undefined, 'steps-table');
    table.append(
      el('caption', `${run?.name ?? ''}: logged steps${this.range ? ` ${Math.ceil(this.range[0])}–${Math.floor(this.range[1])}` : ''}`),
    );
    const head = el('tr');
    for (const h of ['step', ...cols.filter((c) => c.s).map((c) => c.name)]) {
      const th = el('th', h);
      th.scope = 'col';
      head.append(th);
    }
    const thead = el('thead');
    thead.append(head);
    const body = el('tbody');
    for (const step of inRange.slice(0, MAX_ROWS)) {
      const tr = el('tr');
      const th = el('th');
      th.scope = 'row';
      const b = el('button', String(step), 'step-link');
      b.disabled = !run?.mapped;
      b.title = run?.mapped ? `Open the completion groups of step ${step}` : 'No step ↔ group mapping for this run (see above)';
      b.addEventListener('click', () => this.pick(this.tableRun, step));
      th.append(b);
      tr.append(th);
      cols.forEach((c, ci) => {
        if (!c.s) return;
        const v = at[ci].get(step) ?? null;
        tr.append(el('td', v === null ? '—' : formatMetric(v), 'num'));
      });
      body.append(tr);
    }
    table.append(thead, body);
    box.append(table);
  }

  private tableNote(n: number, mapped: boolean): string {
    const rows = n > MAX_ROWS ? `The first ${MAX_ROWS} of ${n} logged steps in the range: zoom in, or type a step.` : `${n} logged steps.`;
    return `${rows} ${mapped ? 'A step opens its completion groups.' : 'This run has no step ↔ group mapping, so steps open nothing.'}`;
  }

  private stepInput(mapped: boolean): HTMLElement {
    const form = el('form', undefined, 'step-go');
    const input = el('input');
    input.type = 'number';
    input.min = '1';
    input.setAttribute('aria-label', 'Step');
    const go = el('button', 'Open groups of step');
    go.type = 'submit';
    go.disabled = !mapped;
    input.disabled = !mapped;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const step = Number(input.value);
      if (Number.isFinite(step) && step >= 1) this.pick(this.tableRun, step);
    });
    form.append(go, document.createTextNode(' '), input);
    return form;
  }
}
