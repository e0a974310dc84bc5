/**
 * The training curves view: a chart per metric of every run opened in the Training view (overlaid),
 * drawn again when a run is opened, read again or closed. A step picked on a chart or in its table
 * opens that step's completion groups, under the stated step mapping (core/training/curves.ts).
 */
import * as vscode from 'vscode';
import {
  trainingCurvesHostMessageSchema,
  trainingCurvesWebviewMessageSchema,
  type TrainingCurvesHostMessage,
  type TrainingCurvesWebviewMessage,
} from '../core/protocol';
import { curvesMessage, type TrainingRun } from '../core/training';
import { TrainingGroupPanel } from './trainingPanel';
import { panelOptions, WebviewPanel } from './webviewPanel';

/** stThink.training.rewardCallsPerStep: 0 (infer) or the reward calls one optimizer step makes. */
export function callsPerStepSetting(): number | undefined {
  const n = vscode.workspace.getConfiguration('stThink.training').get<number>('rewardCallsPerStep', 0);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export class TrainingCurvesPanel extends WebviewPanel<TrainingCurvesWebviewMessage, TrainingCurvesHostMessage> {
  static readonly viewType = 'stThink.trainingCurves';
  static current: TrainingCurvesPanel | undefined;
  /** The last message sent or kept, and the webview's first-paint figure (for tests and the benchmark). */
  last: TrainingCurvesHostMessage | undefined;
  paintedMs: number | undefined;

  static show(context: vscode.ExtensionContext, runs: () => readonly TrainingRun[]): TrainingCurvesPanel {
    let p = TrainingCurvesPanel.current;
    if (!p) {
      const panel = vscode.window.createWebviewPanel(
        TrainingCurvesPanel.viewType,
        'Training curves',
        vscode.ViewColumn.Active,
        panelOptions(context.extensionUri),
      );
      p = TrainingCurvesPanel.current = new TrainingCurvesPanel(context, panel, runs);
    } else p.panel.reveal();
    p.refresh();
    return p;
  }

  private constructor(
    private readonly context: vscode.ExtensionContext,
    panel: vscode.WebviewPanel,
    private readonly runs: () => readonly TrainingRun[],
  ) {
    super(panel, context.extensionUri, 'Training curves', {
      name: 'the training curves view',
      incoming: trainingCurvesWebviewMessageSchema,
      outgoing: trainingCurvesHostMessageSchema,
    });
    this._register({ dispose: () => TrainingCurvesPanel.current === this && (TrainingCurvesPanel.current = undefined) });
  }

  /** Draw the runs as they are now. */
  refresh(): void {
    this.last = curvesMessage(this.runs(), callsPerStepSetting());
    this.paintedMs = undefined;
    this.keep('curves', this.last);
  }

  protected async receive(m: Exclude<TrainingCurvesWebviewMessage, { type: 'ready' }>): Promise<void> {
    if (m.type === 'trainingPainted') this.paintedMs = m.ms;
    else if (m.type === 'trainingPickStep') await this.pick(m.run, m.step);
  }

  /** Open the completion groups of `step` of run `run` (an index into the view's runs); says why not when it cannot. */
  async pick(run: number, step: number): Promise<TrainingGroupPanel | undefined> {
    const r = this.runs()[run];
    if (!r) return undefined;
    const mapping = r.stepMapping(callsPerStepSetting());
    const p = await TrainingGroupPanel.showStep(this.context, r, step, mapping);
    if (!p) {
      const why = mapping.kind === 'mapped' ? `step ${step} has no completion groups in the debug log` : mapping.text;
      void vscode.window.showInformationMessage(`ST-Think: ${r.name}: ${why}`);
    }
    return p;
  }
}
