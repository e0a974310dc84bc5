/**
 * The judgments file: `<results>.judgments.jsonl` beside the results file (`r.json` → `r.judgments.jsonl`),
 * one whole line per judgment, appended through the safe writer (never into the results file).
 * A judgment is keyed by record, reference, prediction, template hash and model: a key already
 * judged (scored, unparsed or unusable) is not judged again; a failed call is tried again by the
 * next run, and its later judgment supersedes it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { safeAppendLine, type SafeAppendOptions } from '../safeWrite';
import type { Direction } from '../vocabulary';
import type { JudgmentStatus } from './evaluation';

export const JUDGMENTS_SUFFIX = '.judgments.jsonl';

export function judgmentsPath(resultsFile: string): string {
  return resultsFile.replace(/\.(jsonl|json|ndjson)$/i, '') + JUDGMENTS_SUFFIX;
}

export interface Judgment {
  v: 1;
  key: string;
  /** The record's id (the sample key of upstream's files). */
  record: string;
  line: number;
  direction: Direction;
  model: string;
  endpoint: string;
  templateHash: string;
  status: JudgmentStatus;
  parts: { direction: number; landmark: number; semantic: number };
  total: number;
  /** The judge's reply as it came (null: no text; absent for a failed call). */
  reply?: string | null;
  /** Why a reply was unparsed or unusable, or why a call failed. */
  note?: string;
  attempts?: number;
  ms?: number;
  at: string;
  /** sha256 of the reference and the prediction judged (to tell a judgment of other text apart). */
  referenceHash: string;
  predictionHash: string;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export function textHash(s: string): string {
  return sha(s).slice(0, 16);
}

/** What makes two judgments the same judgment. */
export function judgmentKey(k: { record: string; reference: string; prediction: string; templateHash: string; model: string }): string {
  return sha(JSON.stringify([k.record, k.reference, k.prediction, k.templateHash, k.model]));
}

function isJudgment(j: unknown): j is Judgment {
  const o = j as Partial<Judgment> | null;
  return (
    !!o &&
    typeof o === 'object' &&
    typeof o.key === 'string' &&
    typeof o.record === 'string' &&
    typeof o.status === 'string' &&
    typeof o.total === 'number' &&
    !!o.parts &&
    typeof o.parts === 'object'
  );
}

/** The judgments in a file, in file order (an absent file has none; lines that are not judgments are skipped). */
export async function readJudgments(file: string): Promise<Judgment[]> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: Judgment[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const j: unknown = JSON.parse(line);
      if (isJudgment(j)) out.push(j);
    } catch {
      // a partial or foreign line: not a judgment
    }
  }
  return out;
}

/** The latest judgment of each key; a failed call never hides an earlier judgment of the same key. */
export function latestByKey(judgments: readonly Judgment[]): Map<string, Judgment> {
  const m = new Map<string, Judgment>();
  for (const j of judgments) {
    const prev = m.get(j.key);
    if (!prev || j.status !== 'failed' || prev.status === 'failed') m.set(j.key, j);
  }
  return m;
}

export async function appendJudgment(file: string, j: Judgment, opts: SafeAppendOptions = {}): Promise<void> {
  await safeAppendLine(file, JSON.stringify(j), opts);
}
