/** The status bar's accuracy of the active results file under the scoring rule (a click shows the summary). */
import * as vscode from 'vscode';
import { describeFilter, isEmptyFilter } from '../core/filter';
import { NA_TEXT } from '../core/schemas';
import { bucketOf, formatAccuracy, naOf } from '../core/summary';
import { Disposable } from './dispose';
import type { ResultsStore } from './store';

export class AccuracyStatus extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('stThink.accuracy', vscode.StatusBarAlignment.Left, 50));

  constructor(private readonly store: ResultsStore) {
    super();
    this.item.name = 'ST-Think Accuracy';
    this.item.command = 'stThink.showSummary';
    this._register(store.onDidChange(() => this.update()));
    this.update();
  }

  update(): void {
    const { store, item } = this;
    const a = store.active;
    if (a?.index && a.state.kind === 'ready') {
      const rule = store.rule;
      const f = store.filter;
      const b = bucketOf(a.visible, rule);
      item.text = `$(checklist) ${formatAccuracy(b)}`;
      const why = () =>
        [...new Set(a.visible.map((e) => naOf(e, rule)))]
          .filter((r) => r !== undefined)
          .map((r) => NA_TEXT[r].long)
          .join('; ');
      const score = b.total || !b.na ? `${b.correct}/${b.total} correct under ${rule}` : `${rule} n/a: ${why()}`;
      const filtered = isEmptyFilter(f) ? '' : ` (filter: ${describeFilter(f)})`;
      item.tooltip = `ST-Think: ${a.uri.path.split('/').pop()}: ${score}${filtered}. Click for the summary.`;
      item.show();
    } else if (a?.state.kind === 'indexing') {
      item.text = '$(loading~spin) ST-Think';
      item.tooltip = 'ST-Think: indexing…';
      item.show();
    } else item.hide();
  }
}
