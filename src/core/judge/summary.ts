/**
 * The judge's numbers for a results file: from its judgments file, or from an upstream judge output
 * file (`{"evaluations": {key: {...}}, "average_total_score": …}`) attached by sample key.
 * - judged: the samples in the mean, as upstream's `total_samples` counts them: every sample not
 *   skipped that has a judgment, failed calls and unreadable replies included (they score 0);
 * - failed: of those, the calls that failed (upstream's zeros); unparsed: replies with no readable
 *   dict (or one upstream's script could not use), also 0;
 * - skipped: empty reference or prediction; notJudged: route records with no judgment yet;
 * - mean: the sum of the totals in file order divided by judged (Python's float arithmetic, as
 *   upstream's running `total_score += sample_total`); null when nothing is judged;
 * - parts: the means of the three parts (a missing part counts 0, as `.get(k, 0)`).
 */
import * as fs from 'node:fs';
import type { Direction } from '../vocabulary';
import { evaluateReply, failedEvaluation, pyJsonDump, type JudgmentStatus } from './evaluation';
import type { PyValue } from './pyLiteral';
import { isSkipped, type RouteItem } from './run';
import { textHash, type Judgment } from './store';

export interface Scored {
  status: JudgmentStatus;
  parts: { direction: number; landmark: number; semantic: number };
  total: number;
}

/** A run's own judge counts and mean score (0–5; null when nothing was judged). */
export interface SideScores {
  judged: number;
  skipped: number;
  failed: number;
  unparsed: number;
  notJudged: number;
  mean: number | null;
}

export interface JudgeSummary extends SideScores {
  byDirection: Record<Direction, { judged: number; mean: number | null }>;
  parts: { direction: number | null; landmark: number | null; semantic: number | null };
  /** Where the judgments came from. */
  source:
    | { kind: 'judgments'; file: string; model: string | null; endpoint: string | null }
    | { kind: 'judge-file'; file: string; unmatched: number; fileAverage: number | null };
}

/** The per-record scores in file order (undefined: no judgment), for `summariseScores`. */
export function summariseScores(
  items: readonly RouteItem[],
  scoreOf: (item: RouteItem) => Scored | undefined,
  source: JudgeSummary['source'],
): JudgeSummary {
  let judged = 0;
  let skipped = 0;
  let failed = 0;
  let unparsed = 0;
  let notJudged = 0;
  let sum = 0;
  const part = { direction: 0, landmark: 0, semantic: 0 };
  const dir = { forward: { judged: 0, sum: 0 }, reverse: { judged: 0, sum: 0 } };
  for (const item of items) {
    if (isSkipped(item)) {
      skipped++;
      continue;
    }
    const s = scoreOf(item);
    if (!s) {
      notJudged++;
      continue;
    }
    judged++;
    if (s.status === 'failed') failed++;
    if (s.status === 'unparsed' || s.status === 'unusable') unparsed++;
    sum += s.total;
    part.direction += s.parts.direction;
    part.landmark += s.parts.landmark;
    part.semantic += s.parts.semantic;
    dir[item.direction].judged++;
    dir[item.direction].sum += s.total;
  }
  const mean = (x: number, n: number) => (n ? x / n : null);
  return {
    judged,
    skipped,
    failed,
    unparsed,
    notJudged,
    mean: mean(sum, judged),
    byDirection: {
      forward: { judged: dir.forward.judged, mean: mean(dir.forward.sum, dir.forward.judged) },
      reverse: { judged: dir.reverse.judged, mean: mean(dir.reverse.sum, dir.reverse.judged) },
    },
    parts: { direction: mean(part.direction, judged), landmark: mean(part.landmark, judged), semantic: mean(part.semantic, judged) },
    source,
  };
}

/**
 * Each record's judgment in a judgments file: by one model (the given one, else the model of the
 * file's latest judgment), of the same reference and prediction; the latest wins, and a failed call
 * only counts when no other judgment of the record exists.
 */
export function judgmentsFor(
  items: readonly RouteItem[],
  judgments: readonly Judgment[],
  model?: string,
): { byId: Map<string, Judgment>; model: string | null; endpoint: string | null } {
  const chosen = model ?? [...judgments].reverse().find((j) => j.status !== 'failed')?.model ?? judgments.at(-1)?.model ?? null;
  const wanted = new Map(items.map((i) => [i.id, i]));
  const byId = new Map<string, Judgment>();
  for (const j of judgments) {
    const item = wanted.get(j.record);
    if (!item || j.model !== chosen) continue;
    if (j.referenceHash !== textHash(item.reference) || j.predictionHash !== textHash(item.prediction)) continue;
    const prev = byId.get(j.record);
    if (!prev || j.status !== 'failed' || prev.status === 'failed') byId.set(j.record, j);
  }
  const endpoint = [...byId.values()].at(-1)?.endpoint ?? null;
  return { byId, model: chosen, endpoint };
}

/** One judge of a judgments file: a model (all its judgments), or a model under one of its prompt templates. */
export interface JudgeOfFile {
  /** The model, or "model · template 1a2b3c4d" for its judgments under one template. */
  id: string;
  model: string;
  /** Set for a model's judgments under one template. */
  templateHash?: string;
  judgments: Judgment[];
}

/**
 * The judges of a judgments file in order of first appearance: each model (all its judgments, a
 * record's latest winning), and where a model was run under more than one prompt template (a
 * re-judge with an edited template), also the model under each template, so the two judgings can be
 * compared with each other.
 */
export function judgesOfFile(judgments: readonly Judgment[]): JudgeOfFile[] {
  const byModel = new Map<string, JudgeOfFile>();
  const byTemplate = new Map<string, JudgeOfFile[]>();
  for (const j of judgments) {
    let m = byModel.get(j.model);
    if (!m) byModel.set(j.model, (m = { id: j.model, model: j.model, judgments: [] }));
    m.judgments.push(j);
    let ts = byTemplate.get(j.model);
    if (!ts) byTemplate.set(j.model, (ts = []));
    let t = ts.find((x) => x.templateHash === j.templateHash);
    if (!t)
      ts.push(
        (t = { id: `${j.model} · template ${j.templateHash.slice(0, 8)}`, model: j.model, templateHash: j.templateHash, judgments: [] }),
      );
    t.judgments.push(j);
  }
  return [...byModel.values()].flatMap((m) => {
    const ts = byTemplate.get(m.model)!;
    return ts.length > 1 ? [m, ...ts] : [m];
  });
}

/** One evaluation of an upstream judge output file. */
export interface UpstreamEvaluation extends Scored {
  key: string;
}

export interface UpstreamJudgeFile {
  evaluations: UpstreamEvaluation[];
  average: number | null;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : 0);

/**
 * Reads an upstream judge output. A failed call is told by upstream's own mark (keys direction,
 * landmark and semantic, all 0, no 'semantic and logic'); an unreadable reply by a lone `total`.
 */
export function readUpstreamJudgeFile(file: string): UpstreamJudgeFile {
  const j = JSON.parse(fs.readFileSync(file, 'utf8')) as { evaluations?: unknown; average_total_score?: unknown };
  if (!j || typeof j !== 'object' || !j.evaluations || typeof j.evaluations !== 'object' || Array.isArray(j.evaluations)) {
    throw new Error(`${file}: not a judge output (no "evaluations" object)`);
  }
  const evaluations: UpstreamEvaluation[] = [];
  for (const [key, e] of Object.entries(j.evaluations as Record<string, unknown>)) {
    if (!e || typeof e !== 'object' || Array.isArray(e)) continue;
    const d = e as Record<string, unknown>;
    const keys = Object.keys(d).filter((k) => k !== 'total');
    const parts = { direction: num(d.direction), landmark: num(d.landmark), semantic: num(d['semantic and logic']) };
    const failedMark =
      !('semantic and logic' in d) && 'semantic' in d && keys.length === 3 && d.direction === 0 && d.landmark === 0 && d.semantic === 0;
    const status: JudgmentStatus = failedMark ? 'failed' : keys.length === 0 ? 'unparsed' : 'scored';
    const total = typeof d.total === 'number' ? d.total : (parts.direction + parts.landmark + parts.semantic) / 3;
    evaluations.push({ key, status, parts, total });
  }
  const avg = j.average_total_score;
  return { evaluations, average: typeof avg === 'number' ? avg : null };
}

/** Upstream's output file for judgments in file order: `{"evaluations": {…}, "average_total_score": …}`, as json.dump writes it. */
export function upstreamOutput(rows: readonly { key: string; judgment: Judgment }[]): string {
  const entries: [PyValue, PyValue][] = [];
  let total = 0;
  for (const { key, judgment } of rows) {
    const ev = judgment.status === 'failed' ? failedEvaluation(judgment.note ?? '') : evaluateReply(judgment.reply);
    entries.push([{ t: 'str', v: key }, ev.written]);
    total += ev.total;
  }
  const average: PyValue = rows.length ? { t: 'float', v: total / rows.length } : { t: 'int', v: 0n };
  return pyJsonDump({
    t: 'dict',
    entries: [
      [
        { t: 'str', v: 'evaluations' },
        { t: 'dict', entries },
      ],
      [{ t: 'str', v: 'average_total_score' }, average],
    ],
  });
}
