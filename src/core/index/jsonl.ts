/**
 * The JSONL reader: one record per line, read in chunks. An unterminated last line that does not
 * parse yet is kept pending (the resume point stays before it), so a writer appending lines is
 * followed incrementally.
 */
import type { IndexBuilder } from './builder';
import { formatBytes, startsWithBom } from './bytes';
import { openChunks, type ChunkSource } from './reader';
import { checkCancelled, NotResultsFileError, type IndexOptions } from './types';

/**
 * Index lines from `start` (a line start) up to `end` (a line start, or the end of the file) into
 * `b`, line numbers counted from `startLine`. `b.resumeOffset` and `b.resumeLine` follow each chunk.
 * Returns the size read up to and the file's mtime.
 */
export async function readJsonl(
  b: IndexBuilder,
  opts: IndexOptions,
  start: number,
  startLine: number,
  end = Infinity,
): Promise<{ size: number; mtimeMs: number }> {
  const chunkSize = opts.chunkSize ?? 1 << 20;
  const maxBytes = opts.maxRecordBytes ?? 16 << 20;
  const fh = await openChunks(b.file, opts.sync);
  try {
    const total = Math.min(fh.size, end);
    const buf = Buffer.allocUnsafe(chunkSize);
    let pos = start === 0 ? await bomLength(fh) : start;
    let line = startLine;
    let lineStart = pos;
    let pending: Buffer[] = [];
    let pendingLen = 0;
    let skipping = false;
    while (pos < total) {
      checkCancelled(b.file, opts);
      const bytesRead = await fh.read(buf, Math.min(chunkSize, total - pos), pos);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      let i = 0;
      // Errors made while reading lines (a line's invalid JSON, a schema's issues) are read for their
      // message only: capturing no stack trace for them is most of what an invalid line costs.
      const stackLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        while (i < bytesRead) {
          const nl = chunk.indexOf(0x0a, i);
          const end = nl < 0 ? bytesRead : nl;
          if (!skipping) {
            const piece = chunk.subarray(i, end);
            if (pendingLen + piece.length > maxBytes) {
              tooLong(b, line, lineStart, maxBytes);
              skipping = true;
              pending = [];
              pendingLen = 0;
            } else if (end === bytesRead) {
              pending.push(Buffer.from(piece));
              pendingLen += piece.length;
            } else {
              const bytes = pendingLen ? Buffer.concat([...pending, piece]) : piece;
              pending = [];
              pendingLen = 0;
              b.addLine(bytes, lineStart, line);
            }
          }
          if (end === bytesRead) break;
          skipping = false;
          i = end + 1;
          line++;
          lineStart = pos + i;
        }
      } finally {
        Error.stackTraceLimit = stackLimit;
      }
      pos += bytesRead;
      b.resumeOffset = lineStart;
      b.resumeLine = line;
      opts.onProgress?.(pos, total);
    }
    if (pendingLen && !skipping) lastLine(b, Buffer.concat(pending), lineStart, line);
    else if (skipping) b.resumeOffset = total;
    if (end === Infinity) b.finish();
    return { size: total, mtimeMs: fh.mtimeMs };
  } finally {
    await fh.close();
  }
}

/** 3 when the file starts with a UTF-8 byte order mark (which belongs to no record), else 0. */
async function bomLength(fh: ChunkSource): Promise<number> {
  const head = Buffer.alloc(3);
  await fh.read(head, 3, 0);
  return startsWithBom(head) ? 3 : 0;
}

function tooLong(b: IndexBuilder, line: number, lineStart: number, maxBytes: number): void {
  if (line === 1 && !b.partOfFile && b.recordCount === 0) {
    throw new NotResultsFileError(b.file, `line 1 is longer than ${formatBytes(maxBytes)} with no line break: not a JSONL results file`);
  }
  b.addProblem(line, lineStart, `line is longer than ${formatBytes(maxBytes)}; skipped`);
}

/**
 * The last line has no line break: a record if it parses; if not, it may be half written, so it
 * stays pending and is read again when the file grows.
 */
function lastLine(b: IndexBuilder, bytes: Buffer, lineStart: number, line: number): void {
  const before = b.problemCount;
  if (b.addLine(bytes, lineStart, line)) {
    b.resumeOffset = lineStart + bytes.length;
  } else if (b.problemCount > before && b.problems.length) {
    const p = b.problems[b.problems.length - 1];
    if (p.line === line) p.message = `last line is incomplete (no line break) and ${p.message}`;
  }
}
