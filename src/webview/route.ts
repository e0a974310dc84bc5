/**
 * A route record in the trace view: the reference route and the predicted route side by side with
 * the word diff (removed words marked in the reference, added ones in the prediction), and the
 * judge's verdict: the total, the three parts, and its raw reply. Text only (textContent).
 */
import type { TraceRouteView } from '../core/protocol';
import { el } from './dom';

function routeCell(title: string, text: string, ops: TraceRouteView['ops'], own: 'delete' | 'insert'): HTMLElement {
  const col = el('div', undefined, `route-cell route-${own === 'delete' ? 'reference' : 'prediction'}`);
  col.append(el('h3', title));
  const body = el('p', undefined, 'route-text');
  if (!text.trim()) body.append(el('em', '(empty)'));
  else
    for (const o of ops) {
      if (o.op === 'equal') body.append(document.createTextNode(o.text));
      else if (o.op === own) body.append(el(own === 'delete' ? 'del' : 'ins', o.text, own === 'delete' ? 'removed' : 'added'));
    }
  col.append(body);
  return col;
}

const n2 = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

function judgeSection(r: TraceRouteView): HTMLElement[] {
  const out: HTMLElement[] = [el('h2', 'Judge')];
  const j = r.judge;
  if (!j) {
    out.push(
      el(
        'p',
        r.skipped
          ? 'Skipped: the reference or the prediction is empty, and upstream\u2019s judge skips such samples.'
          : 'Not judged yet: run \u201cST-Think: Judge Route Answers\u2026\u201d, or attach an upstream judge output.',
        'note judge-none',
      ),
    );
    return out;
  }
  const verdict: Record<typeof j.status, string> = {
    scored: '',
    unparsed: ' \u00b7 the reply holds no readable Python dict: scored 0, as upstream does',
    unusable: ' \u00b7 upstream\u2019s script would stop on this reply: scored 0',
    failed: ' \u00b7 the call failed: scored 0, as upstream does',
  };
  out.push(el('p', `Total ${n2(j.total)} / 5${verdict[j.status]}`, `judge-total judge-${j.status}`));
  const parts = el('dl', undefined, 'meta judge-parts');
  for (const [k, v] of [
    ['direction', j.parts.direction],
    ['landmark', j.parts.landmark],
    ['semantic and logic', j.parts.semantic],
  ] as const)
    parts.append(el('dt', k), el('dd', n2(v)));
  out.push(parts);
  if (j.note) out.push(el('p', j.note, 'note'));
  if (j.reply !== undefined) out.push(el('h3', 'Raw reply'), el('pre', j.reply ?? '(no text)', 'judge-reply'));
  const meta = el('dl', undefined, 'meta');
  const add = (k: string, v?: string) => v && meta.append(el('dt', k), el('dd', v));
  add('judge model', j.model);
  add('endpoint', j.endpoint);
  add('template', j.templateHash && `sha256 ${j.templateHash.slice(0, 12)}\u2026`);
  add('from', j.source);
  out.push(meta);
  return out;
}

/** The route section: both routes with their diff, then the judge. */
export function routeSection(r: TraceRouteView): HTMLElement[] {
  const pair = el('div', undefined, 'route-pair');
  pair.append(routeCell('Reference route', r.reference, r.ops, 'delete'), routeCell('Predicted route', r.prediction, r.ops, 'insert'));
  return [el('h2', 'Route'), pair, ...judgeSection(r)];
}
