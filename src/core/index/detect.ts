/** Which reader a results file needs: JSONL, or one JSON document. */
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { binaryReason, isJsonSpace, startsWithBom } from './bytes';
import { NotResultsFileError, type FileFormat } from './types';

const SNIFF_BYTES = 64 * 1024;

/**
 * The reader a file needs (`forced`, else detected), once it is known to be a regular file that
 * does not look binary. Throws NotResultsFileError.
 */
export async function sniffFile(file: string, forced?: FileFormat): Promise<FileFormat> {
  const fh = await fsp.open(file, 'r');
  let head: Buffer;
  try {
    if (!(await fh.stat()).isFile()) throw notRegular(file);
    head = Buffer.alloc(SNIFF_BYTES);
    head = head.subarray(0, (await fh.read(head, 0, SNIFF_BYTES, 0)).bytesRead);
  } finally {
    await fh.close();
  }
  return formatOf(file, head, forced);
}

/**
 * sniffFile with synchronous calls, for a command-line run (IndexOptions.sync), where each of the
 * asynchronous version's four thread-pool round trips (and the thread pool's start) was idle time:
 * 9–18 ms of `st-think summary`'s start on this machine. Also gives the file's size.
 */
export function sniffFileSync(file: string, forced?: FileFormat): { format: FileFormat; size: number } {
  const fd = fs.openSync(file, 'r');
  let head: Buffer;
  let size: number;
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw notRegular(file);
    size = st.size;
    head = Buffer.alloc(SNIFF_BYTES);
    head = head.subarray(0, fs.readSync(fd, head, 0, head.length, 0));
  } finally {
    fs.closeSync(fd);
  }
  return { format: formatOf(file, head, forced), size };
}

function notRegular(file: string): NotResultsFileError {
  return new NotResultsFileError(file, 'it is not a regular file');
}

function formatOf(file: string, head: Buffer, forced: FileFormat | undefined): FileFormat {
  const binary = binaryReason(head);
  if (binary !== undefined) throw new NotResultsFileError(file, `binary content (${binary})`);
  return forced ?? detectFormat(file, head);
}

/**
 * JSONL or one JSON document: by extension, else by the first bytes. `{` starts either JSONL or one
 * object keyed by id: JSONL when the first line is a whole JSON object and more follows it.
 */
export function detectFormat(file: string, head: Buffer): FileFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  let i = startsWithBom(head) ? 3 : 0;
  while (i < head.length && isJsonSpace(head[i])) i++;
  if (head[i] === 0x5b /* [ */) return 'json';
  if (head[i] !== 0x7b /* { */) return ext === '.json' ? 'json' : 'jsonl';
  let nl = head.indexOf(0x0a, i);
  // No LF: lines may end in CR only; JSONL then, whose reader says how its lines end.
  if (nl < 0) nl = head.indexOf(0x0d, i);
  if (nl < 0) return 'json';
  try {
    const first = JSON.parse(head.toString('utf8', i, nl));
    if (typeof first !== 'object' || first === null) return 'json';
  } catch {
    return 'json';
  }
  for (let j = nl + 1; j < head.length; j++) if (!isJsonSpace(head[j])) return 'jsonl';
  return 'json';
}
