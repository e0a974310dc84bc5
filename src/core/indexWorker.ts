/**
 * The worker-thread side of ResultsIndex's two-halves indexing: indexes its part of a JSONL file
 * and posts the entries back. Bundled as dist/index-worker.js; no vscode import.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ResultsIndex } from './indexer';

interface Job {
  file: string;
  start: number;
  end: number;
  maxRecordBytes?: number;
  chunkSize?: number;
}

export async function runIndexWorker(job: Job, post: (m: unknown) => void): Promise<void> {
  try {
    let last = 0;
    const result = await ResultsIndex.indexPart(job.file, job.start, job.end, {
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
  void runIndexWorker(workerData as Job, (m) => port.postMessage(m));
}
