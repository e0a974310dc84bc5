/**
 * What a setting may ask for, whoever set it (issue 10, security point 4): the pure parts of
 * reading settings that a workspace could set to harm its user. The extension applies them where
 * it reads the settings; package.json restricts the same settings in untrusted workspaces.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The largest record size a setting may ask for: a larger line is reported, not parsed. */
export const MAX_RECORD_SIZE_MIB = 256;
export const DEFAULT_RECORD_SIZE_MIB = 16;

/** `stThink.maxRecordSizeMiB` as used: a whole number from 1 to 256 (the default when not a number). */
export function clampRecordSizeMiB(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return DEFAULT_RECORD_SIZE_MIB;
  return Math.min(MAX_RECORD_SIZE_MIB, Math.max(1, Math.floor(value)));
}

/** The values of one setting in each scope, as VS Code's `inspect` gives them. */
export interface SettingScopes<T> {
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/**
 * The value a setting takes: the most specific scope's, except in an untrusted workspace, where
 * the workspace's own values of a restricted setting are ignored and only the user's count.
 */
export function trustedSettingValue<T>(scopes: SettingScopes<T> | undefined, trusted: boolean): T | undefined {
  if (!scopes) return undefined;
  return trusted ? (scopes.workspaceFolderValue ?? scopes.workspaceValue ?? scopes.globalValue) : scopes.globalValue;
}

export type AutoOpenCheck = { ok: true; path: string } | { ok: false; why: string };

/**
 * One entry of `stThink.autoOpen`: a path relative to the workspace folder `root` that stays
 * inside it, links resolved (an absolute path, `..` out of the folder, or a link out of it is
 * refused), so a workspace cannot make the extension read any other file at start-up.
 */
export function autoOpenPath(entry: unknown, root: string): AutoOpenCheck {
  if (typeof entry !== 'string' || !entry.trim()) return { ok: false, why: 'not a path' };
  if (path.isAbsolute(entry) || path.win32.isAbsolute(entry) || entry.startsWith('~'))
    return { ok: false, why: 'an absolute path (only paths relative to the workspace folder are opened)' };
  const base = path.resolve(root);
  const file = path.resolve(base, entry);
  if (!inside(base, file)) return { ok: false, why: 'outside the workspace folder' };
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    return { ok: true, path: file }; // a missing file: opening it says so
  }
  let realBase = base;
  try {
    realBase = fs.realpathSync(base);
  } catch {
    // the folder itself is gone: compare with its path
  }
  if (!inside(realBase, real)) return { ok: false, why: 'a link to a file outside the workspace folder' };
  return { ok: true, path: file };
}

function inside(base: string, file: string): boolean {
  const rel = path.relative(base, file);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
