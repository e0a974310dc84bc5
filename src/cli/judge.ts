/**
 * `st-think judge` and the judge part of `st-think summary` (both in the lazily loaded commands
 * bundle: the summary of a file without route records never loads this).
 */
import { ResultsIndex } from '../core/index';
import { ChatClient, ChatError } from '../core/http/chat';
import { compareJudgments, judgmentsByRecord, upstreamByKey, type JudgeComparison } from '../core/judge/agreement';
import {
  readUpstreamJudgeFile,
  judgmentsFor,
  summariseScores,
  upstreamOutput,
  type JudgeSummary,
  type Scored,
} from '../core/judge/summary';
import { compareRunJudgments, type JudgedSide, type RunsJudgeComparison, type SideScores } from '../core/judge/compareRuns';
import { judgeRoutes, routeItem, type ItemOutcome, type RouteItem } from '../core/judge/run';
import { judgmentsPath, readJudgments, type Judgment } from '../core/judge/store';
import { UPSTREAM_TEMPLATES } from '../core/judge/templates';
import { checkFlags, indexOptions, InputError, numberFlag, parseArgs, positionals, UsageError } from './args';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
/** Upstream's judge model (eval/qa_eval.py). */
export const DEFAULT_JUDGE_MODEL = 'gpt-4o';

/** The route records of a results file, in file order. */
export async function routeItems(file: string): Promise<{ index: ResultsIndex; items: RouteItem[] }> {
  const index = await ResultsIndex.build(file, indexOptions());
  const items: RouteItem[] = [];
  const routes = index.entries.filter((e) => e.category === 'route');
  for await (const { entry, record } of index.records(routes)) {
    const item = routeItem(record, entry.line);
    if (item) items.push(item);
  }
  return { index, items };
}

/** The judge object of `summary`: from --judge-file, else from the judgments file beside the results. */
export async function judgeSummary(file: string, judgeFile: string | undefined): Promise<JudgeSummary | undefined> {
  const { index, items } = await routeItems(file);
  if (!items.length && !judgeFile) return undefined;
  if (judgeFile) {
    let parsed;
    try {
      parsed = readUpstreamJudgeFile(judgeFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code) throw e;
      throw new InputError(`${judgeFile}: ${(e as Error).message.replace(`${judgeFile}: `, '')}`);
    }
    const byKey = new Map(parsed.evaluations.map((e) => [e.key, e]));
    const ids = new Set(items.map((i) => i.id));
    const unmatched = parsed.evaluations.filter((e) => !ids.has(e.key)).length;
    return summariseScores(items, (i) => byKey.get(i.id), { kind: 'judge-file', file: judgeFile, unmatched, fileAverage: parsed.average });
  }
  const store = judgmentsPath(index.file);
  const { byId, model, endpoint } = judgmentsFor(items, await readJudgments(store));
  return summariseScores(items, (i) => byId.get(i.id), { kind: 'judgments', file: store, model, endpoint });
}

const fmt = (x: number | null) => (x === null ? '—' : x.toFixed(2));

/** The judge's lines of the text summary. */
export function judgeLines(j: JudgeSummary): string[] {
  const from =
    j.source.kind === 'judge-file'
      ? `${j.source.file}${j.source.unmatched ? `; ${j.source.unmatched} of its evaluations match no record` : ''}`
      : j.source.model
        ? `${j.source.file}, judge ${j.source.model}`
        : `no judgments yet (${j.source.file})`;
  const { forward: f, reverse: r } = j.byDirection;
  const { direction, landmark, semantic } = j.parts;
  return [
    `route answers judged (0-5): mean ${fmt(j.mean)} over ${j.judged} ` +
      `(forward ${fmt(f.mean)} over ${f.judged}, reverse ${fmt(r.mean)} over ${r.judged}); ` +
      `${j.skipped} skipped, ${j.failed} failed calls and ${j.unparsed} unreadable replies counted as 0, ${j.notJudged} not judged`,
    `  parts: direction ${fmt(direction)}, landmark ${fmt(landmark)}, semantic and logic ${fmt(semantic)}; from ${from}`,
  ];
}

function outcomeLine(o: ItemOutcome, done: number, total: number): string {
  const at = `[${done}/${total}] ${o.item.id}`;
  if (o.kind === 'skipped') return `${at}: skipped (empty reference or prediction)`;
  if (o.kind === 'cancelled') return `${at}: cancelled`;
  const j = o.judgment;
  const parts = `direction ${j.parts.direction}, landmark ${j.parts.landmark}, semantic ${j.parts.semantic}`;
  const how = o.kind === 'reused' ? ' (already judged)' : '';
  if (j.status === 'failed') return `${at}: failed, counted as 0${how}: ${j.note ?? ''}`;
  return `${at}: total ${j.total.toFixed(2)} (${parts})${j.status === 'scored' ? '' : `, ${j.status}: ${j.note ?? ''}`}${how}`;
}

function judgeFlags(argv: string[]) {
  const p = parseArgs(argv, ['base-url', 'model', 'concurrency', 'timeout-ms', 'retries']);
  checkFlags(p, ['base-url', 'model', 'concurrency', 'timeout-ms', 'retries', 'json', 'stream']);
  const [file] = positionals(p, 1, 'judge needs exactly one FILE');
  const str = (k: string) => {
    const v = p.flags.get(k);
    if (v === true || v === '') throw new UsageError(`--${k} needs a value`);
    return v;
  };
  const baseUrl = str('base-url') ?? OPENAI_BASE_URL;
  const model = str('model') ?? DEFAULT_JUDGE_MODEL;
  const concurrency = numberFlag(p, 'concurrency', 4)!;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new UsageError('--concurrency must be a whole number from 1 to 64');
  const timeoutMs = numberFlag(p, 'timeout-ms', 60_000)!;
  if (!(timeoutMs > 0)) throw new UsageError('--timeout-ms must be a number above 0');
  const retries = numberFlag(p, 'retries', 4)!;
  if (!Number.isInteger(retries) || retries < 0 || retries > 20) throw new UsageError('--retries must be a whole number from 0 to 20');
  return { p, file, baseUrl, model, concurrency, timeoutMs, retries };
}

export async function judgeCommand(argv: string[]): Promise<number> {
  const { p, file, baseUrl, model, concurrency, timeoutMs, retries } = judgeFlags(argv);
  const apiKey = process.env.OPENAI_API_KEY?.trim() || undefined;
  if (!apiKey && baseUrl === OPENAI_BASE_URL)
    throw new InputError('set OPENAI_API_KEY (the judge key; a local server given with --base-url may need none)');
  let client: ChatClient;
  try {
    client = new ChatClient({ baseUrl, apiKey, concurrency, timeoutMs, maxRetries: retries, stream: p.flags.has('stream') });
  } catch (e) {
    if (e instanceof ChatError) throw new UsageError(`--base-url: ${e.message}`);
    throw e;
  }
  const { index, items } = await routeItems(file);
  if (!items.length) throw new InputError(`${index.file}: no route records to judge`);
  const store = judgmentsPath(index.file);
  const ctl = new AbortController();
  const onSigint = () => ctl.abort();
  process.once('SIGINT', onSigint);
  let result;
  try {
    result = await judgeRoutes(items, {
      client,
      model,
      endpoint: client.url,
      templates: UPSTREAM_TEMPLATES,
      store,
      protect: [index.file],
      signal: ctl.signal,
      onItem: (o, done, total) => process.stderr.write(outcomeLine(o, done, total) + '\n'),
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
    client.dispose();
  }
  const rows = result.outcomes.flatMap((o) =>
    o.kind === 'judged' || o.kind === 'reused' ? [{ key: o.item.id, judgment: o.judgment as Judgment }] : [],
  );
  if (p.flags.has('json')) process.stdout.write(upstreamOutput(rows) + '\n');
  else {
    const { byId } = judgmentsFor(
      items,
      rows.map((r) => r.judgment),
      model,
    );
    const s = summariseScores(items, (i) => byId.get(i.id), { kind: 'judgments', file: store, model, endpoint: client.url });
    process.stdout.write(
      `${index.file}: ${result.judged} judged now, ${result.reused} already judged, ${result.skipped} skipped; judgments in ${store}\n` +
        judgeLines(s).join('\n') +
        '\n',
    );
  }
  if (result.cancelled) {
    process.stderr.write('st-think: cancelled; run the same command again to go on where it stopped\n');
    return 130;
  }
  return result.failed ? 1 : 0;
}

/** A results file's route records and each one's judge score from its judgments file (by the latest model). */
async function judgedSide(index: ResultsIndex): Promise<JudgedSide> {
  const routes = index.entries.filter((e) => e.category === 'route');
  const items: RouteItem[] = [];
  for await (const { entry, record } of index.records(routes)) {
    const item = routeItem(record, entry.line);
    if (item) items.push(item);
  }
  const byId = items.length ? judgmentsFor(items, await readJudgments(judgmentsPath(index.file))).byId : new Map<string, Judgment>();
  return { items, scoreOf: (i) => byId.get(i.id) };
}

/** compare's judge part: the two runs' route records paired by sample key, when either has judgments. */
export async function compareJudge(a: ResultsIndex, b: ResultsIndex): Promise<RunsJudgeComparison | undefined> {
  const [sa, sb] = await Promise.all([judgedSide(a), judgedSide(b)]);
  const c = compareRunJudgments(sa, sb);
  return c.a.judged || c.b.judged ? c : undefined;
}

const p3 = (x: number | null) => (x === null ? '—' : x.toFixed(3));

export function comparisonLines(c: JudgeComparison, what: [string, string] = ['A', 'B']): string[] {
  const w = c.wilcoxon;
  const how = w && `${w.method}${w.method === 'normal' ? `, z ${w.z!.toFixed(3)}` : ''}`;
  const test = w ? `Wilcoxon signed-rank (${how}): W = ${w.statistic}, p = ${w.pvalue.toPrecision(4)}` : 'no pairs';
  const part = (name: string, g: JudgeComparison['agreement']['direction']) =>
    `  ${name}: exact match ${p3(g.exactMatch)}, mean |difference| ${p3(g.meanAbsDiff)}, ` +
    `quadratic kappa ${p3(g.kappa)} (${g.kappaN} on 0-5)`;
  return [
    `judge scores (0-5) of route answers, paired by sample key: ${c.pairs} pairs; ` +
      `judged in ${what[0]} only ${c.onlyA}, in ${what[1]} only ${c.onlyB}`,
    `  mean ${what[0]} ${p3(c.meanA)}, ${what[1]} ${p3(c.meanB)}, ${what[1]}-${what[0]} ${p3(c.meanDiff)}; ${test}`,
    part('direction', c.agreement.direction),
    part('landmark', c.agreement.landmark),
    part('semantic and logic', c.agreement.semantic),
    ...('byDirection' in c ? directionLines(c as RunsJudgeComparison, what) : []),
  ];
}

/** Each side's judge score per direction (as the summary counts it), the pairs, B − A and the test. */
function directionLines(c: RunsJudgeComparison, what: [string, string]): string[] {
  const side = (name: string, s: SideScores) =>
    `${name} ${p3(s.mean)} over ${s.judged} (${s.skipped} skipped, ${s.failed} failed, ${s.unparsed} unreadable)`;
  return (['forward', 'reverse', 'both'] as const).map((d) => {
    const k = d === 'both' ? c : c.byDirection[d];
    const p = k.wilcoxon ? `Wilcoxon p = ${k.wilcoxon.pvalue.toPrecision(4)}` : 'no pairs';
    return `  ${d}: ${side(what[0], k.a)}; ${side(what[1], k.b)}; ${k.pairs} pairs, ${what[1]}-${what[0]} ${p3(k.meanDiff)}, ${p}`;
  });
}

/** One side of `agreement`: an upstream judge output (.json) or a judgments file (.jsonl, one model of it). */
async function side(file: string, model: string | undefined): Promise<{ label: string; byKey: Map<string, Scored> }> {
  if (/\.jsonl$/i.test(file)) {
    const { model: chosen, byKey } = judgmentsByRecord(await readJudgments(file), model);
    if (!byKey.size) throw new InputError(`${file}: no judgments${model ? ` by ${model}` : ''}`);
    return { label: `${file} (${chosen})`, byKey };
  }
  try {
    return { label: file, byKey: upstreamByKey(file) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw e;
    throw new InputError((e as Error).message);
  }
}

/** `st-think agreement A B`: two judgments of the same samples (two judge models, or a re-judge). */
export async function agreementCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['model-a', 'model-b']);
  checkFlags(p, ['model-a', 'model-b', 'json']);
  const [fa, fb] = positionals(p, 2, 'agreement needs two judgment files, A and B');
  const flag = (k: string) => {
    const v = p.flags.get(k);
    if (v === true || v === '') throw new UsageError(`--${k} needs a model name`);
    return v;
  };
  const [a, b] = [await side(fa, flag('model-a')), await side(fb, flag('model-b'))];
  const c = compareJudgments(a.byKey, b.byKey);
  if (p.flags.has('json')) process.stdout.write(JSON.stringify({ a: a.label, b: b.label, ...c }, null, 2) + '\n');
  else process.stdout.write([`A: ${a.label}`, `B: ${b.label}`, ...comparisonLines(c), ''].join('\n'));
  return 0;
}
