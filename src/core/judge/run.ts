/**
 * Judging route records as upstream's judge scripts do, with what they lack: nothing judged twice
 * (the judgments file, store.ts), resuming after a cancel or a crash, a concurrency limit and
 * retries (the chat client). For each record, in file order:
 * - an empty reference or prediction (after Python's strip) is skipped, as upstream skips it;
 * - a judgment already in the judgments file under the same key is reused;
 * - else the judge is called: its reply is evaluated as upstream evaluates it (evaluation.ts), and a
 *   call that still fails after the client's retries is upstream's failed call (zeros), recorded
 *   with its error and tried again by the next run. A cancelled call records nothing.
 */
import { pyStrip } from '../derive';
import { ChatError, type ChatClient } from '../http/chat';
import type { TraceRecord } from '../schemas';
import type { Direction } from '../vocabulary';
import { evaluateReply, failedEvaluation, type Evaluation } from './evaluation';
import { appendJudgment, judgmentKey, latestByKey, readJudgments, textHash, type Judgment } from './store';
import { judgeMessages, templateHash, type JudgeTemplates } from './templates';

export interface RouteItem {
  id: string;
  line: number;
  direction: Direction;
  question: string;
  reference: string;
  prediction: string;
}

export function routeItem(record: TraceRecord, line: number): RouteItem | undefined {
  if (!record.route) return undefined;
  return {
    id: record.route.key,
    line,
    direction: record.direction,
    question: record.question,
    reference: record.route.reference,
    prediction: record.route.prediction,
  };
}

/** Upstream's skip rule: `not answer.strip() or not predict.strip()`. */
export function isSkipped(item: Pick<RouteItem, 'reference' | 'prediction'>): boolean {
  return pyStrip(item.reference) === '' || pyStrip(item.prediction) === '';
}

export interface JudgeSettings {
  model: string;
  endpoint: string;
  templates: JudgeTemplates;
}

export function keyOf(item: RouteItem, s: JudgeSettings): string {
  return judgmentKey({
    record: item.id,
    reference: item.reference,
    prediction: item.prediction,
    templateHash: templateHash(s.templates, item.direction),
    model: s.model,
  });
}

export type ItemOutcome =
  | { item: RouteItem; kind: 'skipped' }
  | { item: RouteItem; kind: 'reused' | 'judged'; judgment: Judgment }
  | { item: RouteItem; kind: 'cancelled' };

export interface JudgeRunOptions extends JudgeSettings {
  client: Pick<ChatClient, 'complete'>;
  /** The judgments file (judgmentsPath of the results file). */
  store: string;
  /** Files never written (the results file, other open results files). */
  protect: string[];
  signal?: AbortSignal;
  onItem?: (o: ItemOutcome, done: number, total: number) => void;
  now?: () => Date;
}

export interface JudgeRunResult {
  outcomes: ItemOutcome[];
  judged: number;
  reused: number;
  skipped: number;
  failed: number;
  cancelled: boolean;
}

function judgmentOf(item: RouteItem, o: JudgeRunOptions, ev: Evaluation, extra: Partial<Judgment>): Judgment {
  return {
    v: 1,
    key: keyOf(item, o),
    record: item.id,
    line: item.line,
    direction: item.direction,
    model: o.model,
    endpoint: o.endpoint,
    templateHash: templateHash(o.templates, item.direction),
    status: ev.status,
    parts: ev.parts,
    total: ev.total,
    ...extra,
    ...(ev.note ? { note: ev.note } : {}),
    at: (o.now?.() ?? new Date()).toISOString(),
    referenceHash: textHash(item.reference),
    predictionHash: textHash(item.prediction),
  };
}

async function judgeOne(item: RouteItem, o: JudgeRunOptions): Promise<Judgment | undefined> {
  const started = Date.now();
  let attempts = 0;
  try {
    const reply = await o.client.complete(
      { model: o.model, messages: judgeMessages(o.templates, item.direction, item) },
      { signal: o.signal, onRetry: (_e, _w, n) => (attempts = n) },
    );
    const ev = evaluateReply(reply.content);
    return judgmentOf(item, o, ev, { reply: reply.content, attempts: reply.attempts, ms: Date.now() - started });
  } catch (e) {
    if (o.signal?.aborted || (e instanceof ChatError && e.kind === 'cancelled')) return undefined;
    const message = e instanceof Error ? e.message : String(e);
    return judgmentOf(item, o, failedEvaluation(message), { attempts: attempts + 1, ms: Date.now() - started });
  }
}

/** Judges `items` (see the module comment); outcomes come back in the items' order. */
export async function judgeRoutes(items: readonly RouteItem[], o: JudgeRunOptions): Promise<JudgeRunResult> {
  const known = latestByKey(await readJudgments(o.store));
  const outcomes: ItemOutcome[] = new Array(items.length);
  let done = 0;
  const finish = (i: number, out: ItemOutcome) => {
    outcomes[i] = out;
    o.onItem?.(out, ++done, items.length);
  };
  const pending: Promise<void>[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (isSkipped(item)) {
      finish(i, { item, kind: 'skipped' });
      continue;
    }
    const prior = known.get(keyOf(item, o));
    if (prior && prior.status !== 'failed') {
      finish(i, { item, kind: 'reused', judgment: prior });
      continue;
    }
    // The client's limiter bounds the calls in flight; each finished one is appended at once.
    pending.push(
      judgeOne(item, o).then(async (j) => {
        if (!j) return finish(i, { item, kind: 'cancelled' });
        await appendJudgment(o.store, j, { protect: o.protect });
        finish(i, { item, kind: 'judged', judgment: j });
      }),
    );
  }
  await Promise.all(pending);
  const count = (f: (x: ItemOutcome) => boolean) => outcomes.filter(f).length;
  return {
    outcomes,
    judged: count((x) => x.kind === 'judged'),
    reused: count((x) => x.kind === 'reused'),
    skipped: count((x) => x.kind === 'skipped'),
    failed: count((x) => (x.kind === 'judged' || x.kind === 'reused') && x.judgment.status === 'failed'),
    cancelled: count((x) => x.kind === 'cancelled') > 0 || !!o.signal?.aborted,
  };
}
