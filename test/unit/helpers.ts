/**
 * Shared paths and small utilities for the unit tests. Compiled to out/test/unit/helpers.js, so every
 * path is resolved from the compiled file's directory (three levels below the repository root).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../../..');
export const fixturesDir = path.resolve(__dirname, '../../../test/fixtures');
export const realDataFile = path.resolve(repoRoot, '../shared/data/ego-st/r1-test-mcq-126.jsonl');

export function fixture(name: string): string {
  const p = path.join(fixturesDir, name);
  if (!fs.existsSync(p)) throw new Error(`fixture not found: ${p} (is the test compiled to out/test/unit/?)`);
  return p;
}

/** A fresh temporary directory per test file; removed by the caller. */
export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `st-think-${prefix}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Parse a JSONL text into its non-blank lines' values, with 1-based line numbers. */
export function jsonlRows(text: string): { line: number; value: Record<string, unknown> }[] {
  const out: { line: number; value: Record<string, unknown> }[] = [];
  text.split('\n').forEach((l, i) => {
    if (l.trim()) out.push({ line: i + 1, value: JSON.parse(l) as Record<string, unknown> });
  });
  return out;
}

/** Byte offset of each line start (index 0 is line 1). */
export function lineStarts(buf: Buffer): number[] {
  const starts = [0];
  for (let i = 0; i < buf.length; i++) if (buf[i] === 0x0a) starts.push(i + 1);
  return starts;
}

/** A valid canonical record on one line (a forward landmark question, answered with its gold A). */
export function landmarkRecord(id: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id,
    video: `/videos/${id}.mp4`,
    question: 'Based on this video, which landmarks did you pass by to reach your destination? Options: A. door, B. wall',
    gold: 'A',
    response: '<think>door</think><answer>A</answer>',
    ...extra,
  });
}
