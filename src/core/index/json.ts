/**
 * The JSON reader: a results file that is one JSON document, an array of records or an object keyed
 * by id, read in chunks through the byte-level scanner (scan.ts) without parsing it as a whole.
 */
import { normalise } from '../normalize';
import { withoutStacks, type IndexBuilder } from './builder';
import { isJsonSpace } from './bytes';
import { openChunks, type ChunkSource } from './reader';
import { JsonDocumentScanner } from './scan';
import { checkCancelled, NotResultsFileError, type IndexOptions } from './types';

/**
 * Index the whole document into `b`. Returns the file's size and mtime, and whether the records are
 * the values of an object keyed by id (their ids are then the keys).
 */
export async function readJsonDocument(
  b: IndexBuilder,
  opts: IndexOptions,
): Promise<{ size: number; mtimeMs: number; keyedById: boolean }> {
  const chunkSize = opts.chunkSize ?? 1 << 20;
  const scanner = new JsonDocumentScanner(opts.maxRecordBytes ?? 16 << 20, {
    element: (bytes, offset, line, key) => b.addRecord(bytes, offset, line, key),
    problem: (line, offset, message) => b.addProblem(line, offset, message),
  });
  const fh = await openChunks(b.file, opts.sync);
  try {
    const buf = Buffer.allocUnsafe(chunkSize);
    let pos = 0;
    while (pos < fh.size && !scanner.stopped) {
      checkCancelled(b.file, opts);
      const bytesRead = await fh.read(buf, Math.min(chunkSize, fh.size - pos), pos);
      if (bytesRead === 0) break;
      withoutStacks(() => scanner.feed(buf.subarray(0, bytesRead), pos));
      pos += bytesRead;
      opts.onProgress?.(pos, fh.size);
    }
    withoutStacks(() => scanner.end());
    let keyedById = scanner.topLevel === 'object';
    if (keyedById && b.recordCount === 0 && fh.size <= (opts.maxRecordBytes ?? 16 << 20)) {
      if (await trySingleRecord(b, fh, fh.size)) keyedById = false;
    }
    if (b.recordCount === 0 && scanner.topLevel === 'other') {
      throw new NotResultsFileError(b.file, b.problems[0]?.message ?? 'no JSON array or object');
    }
    return { size: fh.size, mtimeMs: fh.mtimeMs, keyedById };
  } finally {
    await fh.close();
  }
}

/**
 * A top-level object none of whose values is a record may be one record itself (a `.json` file
 * holding a single canonical record): if it is, it replaces the problems said of its "values", and
 * this returns true.
 */
async function trySingleRecord(b: IndexBuilder, fh: ChunkSource, size: number): Promise<boolean> {
  const buf = Buffer.alloc(size);
  await fh.read(buf, size, 0);
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch {
    return false;
  }
  const res = normalise(value, { line: 1 }, undefined, { light: true, wording: b.wording });
  if (!res.ok) return false;
  b.problems.length = 0;
  b.problemCount = 0;
  let start = 0;
  while (start < buf.length && (isJsonSpace(buf[start]) || buf[start] === 0xef || buf[start] === 0xbb || buf[start] === 0xbf)) start++;
  let end = buf.length;
  while (end > start && isJsonSpace(buf[end - 1])) end--;
  let line = 1;
  for (let i = 0; i < start; i++) if (buf[i] === 0x0a) line++;
  b.addRecord(buf.subarray(start, end), start, line, undefined);
  return true;
}
