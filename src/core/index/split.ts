/**
 * The two-thread split of a large JSONL file: this thread indexes the part before the first line
 * start after the middle, a worker thread (worker.ts) the rest; the worker's entries come back
 * packed (packed.ts) and are renumbered and appended. The messages between the two are one union.
 */
import { promises as fsp } from 'node:fs';
import type { PackedPhrases } from '../categories';
import type { ShapeName } from '../schemas';
import { GIVE_UP_AFTER, MAX_PROBLEMS, type IndexBuilder } from './builder';
import { packEntries, unpackEntries, type PackedEntries } from './packed';
import { NotResultsFileError, type IndexProblem } from './types';

/** What the worker is given: its part of the file, from a line start to the end. */
export interface WorkerJob {
  file: string;
  start: number;
  end: number;
  maxRecordBytes?: number;
  chunkSize?: number;
}

/** What a worker sends back for its part of a file (line numbers counted from its first line). */
export interface RangeResult {
  entries: PackedEntries;
  problems: IndexProblem[];
  problemCount: number;
  resumeOffset: number;
  resumeLine: number;
  lastShape: ShapeName | undefined;
  /** The entries whose ids were made from their line in the part (`line-N`), to be renamed. */
  positionIds: number[];
  /** The option trigrams of the part's records that take part in the category evidence. */
  phrases: PackedPhrases;
}

/** Every message the worker posts: progress in bytes of its part, its result, or why it failed. */
export type WorkerMessage = { type: 'progress'; done: number } | { type: 'done'; result: RangeResult } | { type: 'error'; message: string };

/** A running worker: its result (rejected when it fails or exits first) and how to stop it. */
export interface IndexWorker {
  result: Promise<RangeResult>;
  terminate(): Promise<number>;
}

/** Start a worker thread on `script` (dist/index-worker.js) for `job`; `onProgress` gets its bytes done. */
export async function startIndexWorker(script: string, job: WorkerJob, onProgress: (done: number) => void): Promise<IndexWorker> {
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(script, { workerData: job });
  const result = new Promise<RangeResult>((resolve, reject) => {
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress(m.done);
      else if (m.type === 'done') resolve(m.result);
      else reject(new Error(m.message));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`index worker exited with code ${code}`)));
  });
  result.catch(() => undefined); // settled by the caller, or abandoned when its own half fails first
  return { result, terminate: () => worker.terminate() };
}

/** The first line start at or after `pos` (just after a line break), or -1. */
export async function lineStartAfter(file: string, pos: number): Promise<number> {
  const fh = await fsp.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 16);
    for (let at = pos; ; at += buf.length) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, at);
      if (bytesRead === 0) return -1;
      const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
      if (nl >= 0) return at + nl + 1;
    }
  } finally {
    await fh.close();
  }
}

/** The worker's side: what it indexed, packed to be posted. */
export function packPart(part: IndexBuilder): RangeResult {
  return {
    entries: packEntries(part.entries),
    problems: part.problems,
    problemCount: part.problemCount,
    resumeOffset: part.resumeOffset,
    resumeLine: part.resumeLine,
    lastShape: part.lastShape,
    positionIds: part.positionIds,
    phrases: part.partners.pack(),
  };
}

/** This thread's side: append the worker's part after the first half in `b`, its lines renumbered. */
export function appendPart(b: IndexBuilder, part: RangeResult): void {
  const shift = b.resumeLine - 1;
  const before = b.entries.length;
  unpackEntries(part.entries, shift, (s) => b.intern(s), b.entries);
  // An id made from the line number counted in the part is renamed after the line in the file,
  // as normalise names an id-less record read in one pass (positionId in normalize.ts).
  for (const k of part.positionIds) b.entries[before + k].id = `line-${b.entries[before + k].line}`;
  b.partners.merge(part.phrases, before, b.entries);
  for (const p of part.problems) {
    p.line += shift;
    if (b.problems.length < MAX_PROBLEMS) b.problems.push(p);
  }
  b.problemCount += part.problemCount;
  if (b.entries.length === 0 && b.problemCount >= GIVE_UP_AFTER) {
    const first = b.problems[0];
    throw new NotResultsFileError(b.file, `no record is valid (line ${first.line}: ${first.message})`);
  }
  b.resumeOffset = part.resumeOffset;
  b.resumeLine = part.resumeLine + shift;
  b.lastShape = part.lastShape ?? b.lastShape;
}
