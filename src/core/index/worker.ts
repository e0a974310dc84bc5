/**
 * The worker-thread side of the two-thread split (split.ts): indexes its part of a JSONL file and
 * posts the entries back. The entry point of dist/index-worker.js; no vscode import.
 */
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { IndexBuilder } from './builder';
import { readJsonl } from './jsonl';
import { packPart, type RangeResult, type WorkerJob, type WorkerMessage } from './split';
import type { IndexOptions } from './types';

/** A worker's part: index from `start` up to `end`, lines counted from 1. */
export async function indexPart(file: string, start: number, end: number, opts: IndexOptions): Promise<RangeResult> {
  const part = new IndexBuilder(path.resolve(file), true);
  await readJsonl(part, opts, start, 1, end);
  return packPart(part);
}

export async function runIndexWorker(job: WorkerJob, post: (m: WorkerMessage) => void): Promise<void> {
  try {
    let last = 0;
    const result = await indexPart(job.file, job.start, job.end, {
      maxRecordBytes: job.maxRecordBytes,
      chunkSize: job.chunkSize,
      onProgress: (done) => {
        // Progress in bytes of this part, at most every 4 MiB.
        if (done - last >= 4 << 20) {
          last = done;
          post({ type: 'progress', done: done - job.start });
        }
      },
    });
    post({ type: 'done', result });
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  }
}

if (parentPort) {
  const port = parentPort;
  void runIndexWorker(workerData as WorkerJob, (m) => port.postMessage(m));
}
