/* global window, document, requestAnimationFrame */
// Bundled by test/ui/charts-check.mjs only: three runs of 10k steps overlaid, with eval points, drawn
// by src/webview/charts.ts's lineChart (the training view's curves), timed.
import { lineChart } from '../../src/webview/charts.ts';

const steps = Array.from({ length: 10_000 }, (_, i) => i + 1);
const run = (seed, lift) =>
  steps.map((s) => Math.min(1, lift + 0.6 * (1 - Math.exp(-s / 2500)) + 0.15 * Math.sin(s * 0.37 + seed) * Math.cos(s * 0.011 * seed)));
const evalSteps = steps.filter((s) => s % 500 === 0);
window.picked = [];
const t0 = performance.now();
const chart = lineChart({
  title: 'rewards/accuracy_reward over steps, three runs',
  series: [
    { label: 'run 1', x: steps, y: run(1, 0.1), colour: 'blue' },
    { label: 'run 2', x: steps, y: run(2, 0.2), colour: 'orange' },
    { label: 'run 3', x: steps.filter((s) => s % 2 === 0), y: run(3, 0).filter((_, i) => i % 2 === 1), colour: 'purple' },
    { label: 'run 1 eval', x: evalSteps, y: evalSteps.map((s) => 0.1 + 0.55 * (1 - Math.exp(-s / 2500))), colour: 'red', points: true },
  ],
  format: (v) => v.toFixed(3),
  smoothing: 0.9,
  onPick: (step) => window.picked.push(step),
});
document.getElementById('app').replaceChildren(chart.element);
window.chart = chart;
// Drawn once in view; the frame after the draw puts it on screen.
void chart.drawn.then(() =>
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      window.firstPaintMs = performance.now() - t0;
    }),
  ),
);
