/**
 * How the readers (jsonl.ts, json.ts) read a file's bytes: through the thread pool (the extension
 * host must never block), or synchronously (`IndexOptions.sync`: a command-line run, where nothing
 * else waits on the thread and each asynchronous read's round trip was idle time: about a tenth of
 * `st-think summary`'s wall time on the 100 MB bench file).
 */
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';

export interface ChunkSource {
  readonly size: number;
  readonly mtimeMs: number;
  /** Bytes read into buf[0, length) from `position`. */
  read(buf: Buffer, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

export async function openChunks(file: string, sync: boolean | undefined): Promise<ChunkSource> {
  if (sync) {
    const fd = fs.openSync(file, 'r');
    try {
      const st = fs.fstatSync(fd);
      return {
        size: st.size,
        mtimeMs: st.mtimeMs,
        // Promise.resolve of a value: one microtask, no thread-pool round trip.
        read: (buf, length, position) => Promise.resolve(fs.readSync(fd, buf, 0, length, position)),
        close: () => Promise.resolve(fs.closeSync(fd)),
      };
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }
  const fh = await fsp.open(file, 'r');
  try {
    const st = await fh.stat();
    return {
      size: st.size,
      mtimeMs: st.mtimeMs,
      read: async (buf, length, position) => (await fh.read(buf, 0, length, position)).bytesRead,
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}
