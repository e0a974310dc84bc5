/**
 * `st-think judge` and the judge part of `st-think summary` (both in the lazily loaded commands
 * bundle: the summary of a file without route records never loads this).
 */
import { ResultsIndex } from '../core/index';
import { ChatClient, ChatError } from '../core/http/chat';
import { readUpstreamJudgeFile, judgmentsFor, summariseScores, upstreamOutput, type JudgeSummary } from '../core/judge/summary';
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
