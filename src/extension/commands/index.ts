/** Every command, registered by feature. */
import type * as vscode from 'vscode';
import { registerCompareCommands } from './compare';
import type { CommandContext } from './context';
import { registerExportCommands } from './export';
import { registerFilterCommands } from './filter';
import { registerGoToCommands } from './goTo';
import { registerJudgeCommands } from './judge';
import { registerJudgeAgreementCommands } from './judgeAgreement';
import { registerNavigationCommands } from './navigation';
import { registerNotesCommands } from './notes';
import { registerPairCommands } from './pairs';
import { registerRecordCommands } from './records';
import { registerRerunCommands } from './rerun';
import { registerResultsCommands } from './results';
import { registerRunsCommands } from './runs';
import { registerSummaryCommands } from './summary';

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    ...registerResultsCommands(ctx),
    ...registerFilterCommands(ctx),
    ...registerNavigationCommands(ctx),
    ...registerGoToCommands(ctx),
    ...registerRecordCommands(ctx),
    ...registerPairCommands(ctx),
    ...registerCompareCommands(ctx),
    ...registerRunsCommands(ctx),
    ...registerRerunCommands(ctx),
    ...registerJudgeCommands(ctx),
    ...registerJudgeAgreementCommands(ctx),
    ...registerSummaryCommands(ctx),
    ...registerExportCommands(ctx),
    ...registerNotesCommands(ctx),
  ];
}
