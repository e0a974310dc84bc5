/** Training runs (issue 13): trainer metrics and the reward debug log of GRPO runs, read in plain Node. */
export {
  curveCharts,
  curvesMessage,
  groupsOfStep,
  stepMapping,
  stepOfGroup,
  type CurveChart,
  type CurvePoints,
  type CurvesRun,
  type StepMapping,
} from './curves';
export { filterGroups, GROUP_FILTERS, groupAdvantages, groupCompletions, totalReward, type GroupFilter } from './groups';
export { AsciiFacts, completionFacts, readRange, TrainingLogReader, type LogReadOptions, type PendingEntry } from './logReader';
export { parsePyLiteral, PyLiteralError, type PyValue } from './pyLiteral';
export { assignLogSteps, summariseSeries, TrainingRun, type TrainingRunOptions, type TrainingSummary } from './run';
export { parsePythonJson, readTrainerState, scanTrainerState, type TrainerState } from './trainerState';
export { CompletionStore, type CompletionFacts } from './store';
export * from './types';
