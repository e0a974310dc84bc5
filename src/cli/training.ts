/** `st-think training FILE_OR_DIR`: a GRPO run's metric series and its completion groups (src/core/training). */
import { TrainingRun, type CompletionGroup, type MetricSeries, type RewardFuncs } from '../core/training';
import { checkFlags, parseArgs, positionals, UsageError } from './args';

export async function training(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['reward-funcs']);
  checkFlags(p, ['json', 'reward-funcs']);
  const [target] = positionals(p, 1, 'training needs exactly one FILE_OR_DIR');
  const run = await TrainingRun.open(target, { rewardFuncs: rewardFuncsFlag(p.flags.get('reward-funcs')) });
  // Problems go to stderr as FILE:LINE: reason (as `validate` writes them), in both output forms.
  for (const pr of run.problems) process.stderr.write(`${pr.file}:${pr.line}: ${pr.message}\n`);
  for (const pe of run.pending) process.stderr.write(`${pe.file}:${pe.line}: not read yet: ${pe.reason}\n`);
  const s = run.summary();
  if (p.flags.has('json')) {
    process.stdout.write(JSON.stringify(s, null, 2) + '\n');
    return 0;
  }
  const out: string[] = [run.path];
  if (run.trainerStateFile) out.push(`trainer state: ${run.trainerStateFile}`);
  for (const f of run.logFiles) out.push(`log: ${f}`);
  out.push('', ...metricsTable(s.metrics), '');
  const flagged = (f: (g: CompletionGroup) => boolean) => run.groups.filter(f).length;
  out.push(
    `${s.completions} completions in ${s.groups} groups (reward calls); ${s.zeroVarianceGroups} with zero reward variance, ` +
      `${flagged((g) => g.allWrong)} all wrong, ${flagged((g) => g.allFormatBroken)} all format-broken; ` +
      `mean accuracy reward ${s.meanAccuracyReward === null ? '—' : num(s.meanAccuracyReward)}; ` +
      `rewards summed: ${run.rewardFuncs.join(' + ')}`,
  );
  for (const g of run.groups) out.push(groupLine(g));
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

function rewardFuncsFlag(v: string | true | undefined): RewardFuncs | undefined {
  if (v === undefined) return undefined;
  const names = String(v)
    .split(',')
    .map((x) => x.trim());
  if (!names.length || names.some((n) => n !== 'accuracy' && n !== 'format')) {
    throw new UsageError('--reward-funcs takes accuracy, format or accuracy,format (the reward functions the run summed)');
  }
  return [...new Set(names)] as RewardFuncs;
}

/** A number in 4 significant digits; nan and ±inf as Python writes them. */
function num(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return String(Number(v.toPrecision(4)));
}

function metricsTable(metrics: Record<string, MetricSeries>): string[] {
  const names = Object.keys(metrics);
  if (!names.length) return ['no metrics'];
  const rows = [['metric', 'points', 'steps', 'first', 'last', 'min', 'max']];
  for (const n of names) {
    const m = metrics[n];
    rows.push([n, String(m.points), `${m.firstStep}–${m.lastStep}`, num(m.first), num(m.last), num(m.min), num(m.max)]);
  }
  const widths = rows[0].map((_, k) => Math.max(...rows.map((r) => r[k].length)));
  return rows.map((r) => r.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join('  '));
}

function groupLine(g: CompletionGroup): string {
  const flags = [g.zeroVariance && 'zero variance', g.allWrong && 'all wrong', g.allFormatBroken && 'all format-broken'].filter(Boolean);
  return (
    `#${g.call} ${g.timestamp} ${g.file}:${g.line}: ${g.completions.length} completions, rewards [${g.rewards.map(num).join(', ')}], ` +
    `advantages [${g.advantages.map(num).join(', ')}], longest ${g.longest} chars` +
    (flags.length ? ` (${flags.join(', ')})` : '')
  );
}
