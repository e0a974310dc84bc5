/**
 * The judge agreement view: two judgments of the same route answers of one results file (two judge
 * models, a re-judge with another template, an upstream judge output against ours), compared by the
 * core function `st-think compare` and `st-think agreement` use: the per-part agreement (exact match
 * rate, mean absolute difference, weighted kappa), each judge's mean per direction, B − A and the
 * Wilcoxon test. Its webview's Export button runs "Export Judge Agreement…".
 */
import * as vscode from 'vscode';
import type { RunsJudgeComparison } from '../core/judge/compareRuns';
import {
  agreementHostMessageSchema,
  agreementWebviewMessageSchema,
  type AgreementHostMessage,
  type AgreementWebviewMessage,
} from '../core/protocol';
import type { ResultsFile } from './store';
import { panelOptions, WebviewPanel } from './webviewPanel';

export type AgreementMessage = Extract<AgreementHostMessage, { type: 'judgeAgreement' }>;

export class AgreementPanel extends WebviewPanel<AgreementWebviewMessage, AgreementHostMessage> {
  static readonly viewType = 'stThink.judgeAgreement';
  static readonly all = new Set<AgreementPanel>();
  /** The panel shown last (what Export Judge Agreement… exports when no panel is in focus). */
  static last: AgreementPanel | undefined;

  /** The panel in focus, else the one shown last. */
  static current(): AgreementPanel | undefined {
    return [...AgreementPanel.all].find((p) => p.panel.active) ?? AgreementPanel.last;
  }

  static show(context: vscode.ExtensionContext, file: ResultsFile, labels: [string, string], judge: RunsJudgeComparison): AgreementPanel {
    const name = file.uri.path.split('/').pop() ?? file.path;
    const panel = vscode.window.createWebviewPanel(
      AgreementPanel.viewType,
      `Judge Agreement: ${name}`,
      vscode.ViewColumn.Active,
      panelOptions(context.extensionUri),
    );
    return new AgreementPanel(context, panel, file, { type: 'judgeAgreement', file: file.path, a: labels[0], b: labels[1], judge });
  }

  private constructor(
    context: vscode.ExtensionContext,
    panel: vscode.WebviewPanel,
    readonly file: ResultsFile,
    /** What the webview shows (for tests and the export). */
    readonly view: AgreementMessage,
  ) {
    super(panel, context.extensionUri, panel.title, {
      name: 'the judge agreement view',
      incoming: agreementWebviewMessageSchema,
      outgoing: agreementHostMessageSchema,
    });
    AgreementPanel.all.add(this);
    AgreementPanel.last = this;
    this._register({
      dispose: () => {
        AgreementPanel.all.delete(this);
        if (AgreementPanel.last === this) AgreementPanel.last = [...AgreementPanel.all].at(-1);
      },
    });
    this._register(panel.onDidChangeViewState((e) => e.webviewPanel.active && (AgreementPanel.last = this)));
    this.keep('agreement', view);
  }

  protected async receive(m: Exclude<AgreementWebviewMessage, { type: 'ready' }>): Promise<void> {
    if (m.type === 'exportAgreement') await vscode.commands.executeCommand('stThink.exportJudgeAgreement', this);
  }
}
