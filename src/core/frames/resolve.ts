/**
 * Results files carry absolute video paths from other machines (`/vi-lab/Ego-ST-bench/...`).
 * A path is mapped onto the user's video folders by the longest matching path suffix, then by file
 * name alone; every path tried is returned, so a miss can be explained.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Resolution {
  /** The local file, when found. */
  file?: string;
  /** How: the path as written, a suffix under a root, or the file name found under a root. */
  how?: 'as-is' | 'suffix' | 'name';
  tried: string[];
}

function parts(p: string): string[] {
  return p.split(/[\\/]+/).filter(Boolean);
}

/**
 * Resolve `original` under `roots`: as written if it exists; else `root/<last k parts>` for k from
 * the most parts down to 1 (the longest suffix wins); else a file of the same name anywhere in a
 * root (searched `maxDepth` levels deep).
 */
export function resolveVideo(
  original: string,
  roots: readonly string[],
  opts: { maxDepth?: number; exists?: (p: string) => boolean } = {},
): Resolution {
  const exists =
    opts.exists ??
    ((p: string) => {
      try {
        return fs.statSync(p).isFile();
      } catch {
        return false;
      }
    });
  const tried: string[] = [];
  const check = (p: string) => {
    tried.push(p);
    return exists(p);
  };
  if (path.isAbsolute(original) && check(original)) return { file: original, how: 'as-is', tried };
  const segs = parts(original);
  for (let k = segs.length; k >= 1; k--) {
    for (const root of roots) {
      const candidate = path.join(root, ...segs.slice(segs.length - k));
      if (check(candidate)) return { file: candidate, how: 'suffix', tried };
    }
  }
  const name = segs[segs.length - 1];
  if (name) {
    for (const root of roots) {
      const found = findByName(root, name, opts.maxDepth ?? 4);
      tried.push(path.join(root, '**', name));
      if (found) return { file: found, how: 'name', tried };
    }
  }
  return { tried };
}

function findByName(dir: string, name: string, depth: number): string | undefined {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) if (e.isFile() && e.name === name) return path.join(dir, e.name);
  if (depth <= 0) return undefined;
  for (const e of entries) {
    if (e.isDirectory() && !e.name.startsWith('.')) {
      const hit = findByName(path.join(dir, e.name), name, depth - 1);
      if (hit) return hit;
    }
  }
  return undefined;
}
