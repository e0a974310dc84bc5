/** What the index holds and how it is asked for: entries, problems, options; and its two errors. */
import type { CategoryEvidence } from '../categories';
import type { Category, Direction, FormatVerdict, NaReason, Outcome, ShapeName } from '../schemas';

export interface IndexEntry {
  /** 1-based line where the record starts. */
  line: number;
  offset: number;
  length: number;
  id: string;
  shape: ShapeName;
  video: string;
  /** Short question for labels (the stem without boilerplate). */
  label: string;
  category: Category;
  /** The category the wording reads as, when the evidence in the file says it is another (see TraceRecord). */
  wordedAs?: Category;
  /**
   * Set when the reverse action question on the same video made this an action question (the
   * file-level pass of src/core/categories.ts); reference-chain evidence is the record's own.
   */
  evidence?: CategoryEvidence;
  direction: Direction;
  /** Gold letter, or '' when the gold is not a letter or missing. */
  gold: string;
  /** The format check: valid, invalid, or n/a (see `na`). */
  format: FormatVerdict;
  mcq: Outcome;
  mcqPred: string;
  grpo: Outcome;
  grpoPred: string;
  /**
   * Why grpo_reward (then 'unscored') and the format check (then 'n/a') do not apply to this
   * record; undefined when they do. mcq_infer always applies: upstream computed it from the letter.
   */
  na: NaReason | undefined;
}

export interface IndexProblem {
  line: number;
  offset: number;
  message: string;
}

export type FileFormat = 'jsonl' | 'json';

export type UpdateKind = 'unchanged' | 'appended' | 'rebuilt';

export interface IndexOptions {
  signal?: AbortSignal;
  /** Called after each chunk with bytes done and total. */
  onProgress?: (done: number, total: number) => void;
  /** A record (line or element) larger than this is reported, not parsed. Default 16 MiB. */
  maxRecordBytes?: number;
  chunkSize?: number;
  /** Force the format instead of detecting it from the extension and the first bytes. */
  format?: FileFormat;
  /**
   * A script that runs `runIndexWorker` (src/core/index/worker.ts). With it, a large JSONL file is
   * indexed in two halves at once: this thread reads the first, a worker thread the second.
   */
  workerScript?: string;
  /** JSONL files at least this large are split when a worker script is given. Default 16 MiB. */
  parallelMinBytes?: number;
  /**
   * Split only on machines with at least this many cores. Default 4: on 2 cores the two threads and
   * V8's own garbage-collection threads share the cores, and splitting measured no faster there
   * (docs/benchmarks.md) while it holds both halves' garbage at once.
   */
  parallelMinCores?: number;
  /**
   * Read with synchronous calls (reader.ts): for a command-line run, never in the extension host,
   * whose thread must not block.
   */
  sync?: boolean;
}

/** The file is not a results file at all: one clear message instead of thousands of problems. */
export class NotResultsFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: not a results file: ${reason}`);
    this.name = 'NotResultsFileError';
  }
}

export class IndexCancelledError extends Error {
  constructor(readonly file: string) {
    super(`${file}: indexing cancelled`);
    this.name = 'IndexCancelledError';
  }
}

/** Throws IndexCancelledError once `opts.signal` is aborted (checked between chunks). */
export function checkCancelled(file: string, opts: IndexOptions): void {
  if (opts.signal?.aborted) throw new IndexCancelledError(file);
}
