/** The services the command modules work with; each module's register function takes the part it needs. */
import type * as vscode from 'vscode';
import type { Comparisons } from '../comparisons';
import type { RecordNotesService } from '../notes';
import type { JudgeService } from '../judge';
import type { RecordDocuments } from '../recordDocuments';
import type { RerunService } from '../rerun';
import type { ResultsStore } from '../store';
import type { TraceHost } from '../tracePanel';
import type { ResultsNode, ResultsTreeProvider } from '../tree';
import type { CommandArgs } from './args';

export interface CommandContext {
  context: vscode.ExtensionContext;
  store: ResultsStore;
  tree: ResultsTreeProvider;
  view: vscode.TreeView<ResultsNode>;
  records: RecordDocuments;
  comparisons: Comparisons;
  reruns: RerunService;
  judge: JudgeService;
  traceHost: TraceHost;
  args: CommandArgs;
  notes: RecordNotesService;
}
