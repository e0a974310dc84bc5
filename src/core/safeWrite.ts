/**
 * The one way the product writes a file of its own (re-runs today, judgments later): appending
 * one line, all or nothing.
 *
 * - The output is opened without following links (`O_NOFOLLOW`, after an `lstat`) and must be a
 *   regular file with one name: a planted `r.reruns.jsonl -> r.jsonl` or `-> ~/.bashrc`, a FIFO,
 *   a folder or a hard link is refused, and so is any path whose real path (or file) is one the
 *   caller protects (the results files open in the extension, the file the CLI reads).
 * - Writers serialise on a lock file created with `O_EXCL` beside the output (`<file>.lock`); a
 *   lock whose process is gone, or that is older than `staleLockMs`, is stale and taken over. A
 *   batch's one writer (`KeptOutput` with `holdLockMs`) may keep its lock over consecutive writes
 *   for a short while (checked to be still its own before each), then lets it go for another's turn.
 * - A partial last line (a writer killed mid-line) is moved aside to `<file>.partial-<time>`
 *   (written atomically) and reported, so it never joins the next line.
 * - Each line is one checked write: a short or failed write truncates the file back to its
 *   previous length and throws.
 *
 * And writing a whole file (exports): `safeWriteFile` writes a temporary file beside the target
 * and renames it over the target, so a reader sees the old file or the new one, never a part; the
 * same refusals apply (links, non-regular files, other names, the files the caller protects).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A write the safe writer refuses or could not complete; the message says which and why. */
export class SafeWriteError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'SafeWriteError';
  }
}

export interface SafeAppendOptions {
  /** Files never to be written (compared by real path and by file identity). */
  protect?: Iterable<string>;
  /** How long to wait for another writer's lock; default 10 s. */
  lockTimeoutMs?: number;
  /** A lock older than this is stale even when its holder cannot be checked; default 30 s. */
  staleLockMs?: number;
  /** Test hook: writes `data` at the end of the file and says how many bytes it wrote. */
  write?: (handle: fs.promises.FileHandle, data: Buffer) => Promise<number>;
}

/**
 * The output of one writer kept open between its appends (a batch's RerunWriter): it saves an open
 * and a close a write. Before each write, under the lock, the path is checked again: still a regular
 * file with one name, not a link, the very file the handle has open (device and inode), and none of
 * the protected files reaching it; otherwise the handle is closed and the path opened again with every check. `close()` when
 * the writer is idle or done.
 *
 * `syncEveryMs` (default 0: every write) groups the data syncs: a write within that time of the last
 * sync is not synced itself; the next write after it, `sync()` or `close()` syncs it. Every line is
 * still written whole in one checked write before its append resolves, so a crash of the process
 * loses nothing written; only a crash of the machine may lose the last `syncEveryMs` of lines (whole
 * lines: a partial one left is moved aside by the next append).
 */
export class KeptOutput {
  /** @internal the open output, while kept. */
  handle: fs.promises.FileHandle | undefined;
  /** @internal the kept file's device and inode (checked against the path before each write). */
  id: { dev: number; ino: number } | undefined;
  /** @internal written since its last sync. */
  dirty = false;
  /** @internal when it was last synced (performance.now()). */
  syncedAt = -Infinity;
  /** @internal the lock held between writes (`holdLockMs`). */
  lock: HeldLock | undefined;
  /** @internal no lock is taken again before this (performance.now()): a held lock let go leaves other writers a turn. */
  yieldUntil = 0;

  /**
   * `holdLockMs` (default 0: taken and let go each write): the lock kept between writes for at most
   * that long from when it was taken (and never a quarter of `staleLockMs`), then let go, and not
   * taken again for LOCK_YIELD_MS, longer than another writer's wait between tries: writers in other
   * processes still serialise, and each gets its turn. `close()` lets it go too.
   */
  constructor(
    readonly syncEveryMs = 0,
    readonly holdLockMs = 0,
  ) {}

  /** Syncs what was written and not synced yet. */
  async sync(): Promise<void> {
    const h = this.handle;
    if (h && this.dirty) {
      this.dirty = false;
      this.syncedAt = performance.now();
      await h.datasync();
    }
  }

  /** Syncs and closes the file, and lets the lock go. */
  async close(): Promise<void> {
    try {
      await this.closeFile();
    } finally {
      this.letLockGo();
    }
  }

  /** @internal syncs and closes the file (the lock, if held, stays held). */
  async closeFile(): Promise<void> {
    await this.sync().catch(() => undefined);
    const h = this.handle;
    this.handle = undefined;
    this.id = undefined;
    await h?.close();
  }

  /** @internal */
  letLockGo(): void {
    const l = this.lock;
    this.lock = undefined;
    if (l) {
      l.release();
      this.yieldUntil = performance.now() + LOCK_YIELD_MS;
    }
  }
}

/**
 * After letting a held lock go, a kept output waits this long before taking it again: longer than
 * a waiting writer's pause between tries (5–25 ms, with room for a loaded machine's timer delays), so a
 * writer in another process gets the lock.
 */
export const LOCK_YIELD_MS = 50;

/** A lock file this process created: its token, and its identity to tell it from a lock made after it. */
interface HeldLock {
  path: string;
  /** performance.now() when taken */
  at: number;
  dev: number;
  ino: number;
  mtimeMs: number;
  release(): void;
}

export interface SafeAppendResult {
  /** Where a partial last line found on open was moved (it is no longer in the file). */
  movedAside?: string;
}

const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

/** Appends `line` (without its newline) as one whole line of `file`; see the module's comment. */
export function safeAppendLine(file: string, line: string, opts: SafeAppendOptions = {}): Promise<SafeAppendResult> {
  return safeAppendLines(file, [line], opts);
}

/**
 * Appends `lines` (each without its newline) as whole lines of `file`, in one checked write under
 * one lock: all of them or none (a queue of finished records written by one writer).
 */
export async function safeAppendLines(
  file: string,
  lines: readonly string[],
  opts: SafeAppendOptions = {},
  keep?: KeptOutput,
): Promise<SafeAppendResult> {
  if (lines.some((l) => l.includes('\n'))) throw new SafeWriteError('a line cannot hold a raw newline', file);
  const target = path.resolve(file);
  const protect = opts.protect ?? [];
  const lockPath = `${target}.lock`;
  // The checks and the lock use the file system on the calling thread (metadata, microseconds each):
  // through the thread pool, their ~15 hand-offs a write were most of a saved re-run's CPU. The write's
  // open, sync and close (and a test's write hook) stay asynchronous.
  // A kept output whose lock is still held (ours, within its time) and whose path still names the kept
  // file needs no more: the path's lstat against the file's identity says it is no link, no other file,
  // one name, and no protected file is it.
  const ready = keep?.handle && holding(keep, lockPath, opts) && stillTheOutput(keep, target, protect);
  if (!ready) {
    try {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      refuseUnsafeTarget(target);
    } catch (e) {
      keep?.letLockGo();
      throw e;
    }
  }
  const lock = ready ? keep.lock! : await takeLock(lockPath, opts, keep);
  let ok = false;
  try {
    const h = ready ? keep.handle! : await openKept(target, protect, keep);
    try {
      const { size, movedAside } = await moveAsidePartialLine(h, target);
      const syncNow = !keep || performance.now() - keep.syncedAt >= keep.syncEveryMs;
      if (lines.length) await appendChecked(h, target, Buffer.from(lines.join('\n') + '\n', 'utf8'), size, opts.write, syncNow);
      if (keep && lines.length) {
        keep.dirty = !syncNow;
        if (syncNow) keep.syncedAt = performance.now();
      }
      ok = true;
      return movedAside ? { movedAside } : {};
    } finally {
      if (!keep) await h.close();
      else if (!ok) await keep.closeFile(); // synced (what earlier writes left unsynced), then closed
    }
  } finally {
    if (keep?.lock !== lock) lock.release();
    else if (!ok) keep.letLockGo();
  }
}

/** Whether `keep` holds the lock `lockPath` still: taken within its hold time, and the lock file the one it made. */
function holding(keep: KeptOutput, lockPath: string, opts: SafeAppendOptions): boolean {
  const l = keep.lock;
  if (!l) return false;
  const hold = Math.min(keep.holdLockMs, (opts.staleLockMs ?? DEFAULT_STALE_MS) / 4);
  if (l.path === lockPath && performance.now() - l.at < hold) {
    const st = fs.lstatSync(lockPath, { throwIfNoEntry: false });
    if (st && st.dev === l.dev && st.ino === l.ino && st.mtimeMs === l.mtimeMs) return true;
  }
  keep.letLockGo(); // its time is up, or it was taken over (then its release leaves the new one)
  return false;
}

/** The lock for a write: the one `keep` still holds, or taken (after the kept output's turn given away, if it let one go). */
async function takeLock(lockPath: string, opts: SafeAppendOptions, keep: KeptOutput | undefined): Promise<HeldLock> {
  if (keep?.lock && holding(keep, lockPath, opts)) return keep.lock;
  const wait = keep ? keep.yieldUntil - performance.now() : 0;
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const lock = await acquireLock(lockPath, opts);
  if (keep?.holdLockMs) keep.lock = lock;
  return lock;
}

/** The kept handle if the path still names its file, else (the old one closed) the output opened anew. */
async function openKept(target: string, protect: Iterable<string>, keep: KeptOutput | undefined): Promise<fs.promises.FileHandle> {
  if (keep?.handle && stillTheOutput(keep, target, protect)) return keep.handle;
  if (keep?.handle) await keep.closeFile();
  const { h, st } = await openOutput(target, protect);
  if (keep) {
    keep.handle = h;
    keep.id = { dev: st.dev, ino: st.ino };
  }
  return h;
}

function refusal(file: string, st: fs.Stats): string | undefined {
  if (st.isSymbolicLink()) return `${file} is a symbolic link; ST-Think writes only regular files it does not reach through links`;
  if (!st.isFile()) return `${file} is not a regular file (a folder, FIFO, socket or device); ST-Think does not write it`;
  if (st.nlink > 1) return `${file} has other names (hard links); ST-Think does not write it`;
  return undefined;
}

function refuseUnsafeTarget(file: string): void {
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  const why = st && refusal(file, st);
  if (why) throw new SafeWriteError(why, file);
}

/** Opens the output for appending, never through a link, and checks what was opened. */
async function openOutput(file: string, protect: Iterable<string>): Promise<{ h: fs.promises.FileHandle; st: fs.Stats }> {
  const flags = fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_APPEND | O_NOFOLLOW | O_NONBLOCK;
  let h: fs.promises.FileHandle;
  try {
    h = await fs.promises.open(file, flags, 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK')
      throw new SafeWriteError(`${file} is a symbolic link; ST-Think does not write through links`, file);
    if (code === 'ENXIO' || code === 'EISDIR') throw new SafeWriteError(`${file} is not a regular file; ST-Think does not write it`, file);
    throw e;
  }
  try {
    const st = fs.fstatSync(h.fd);
    const why = refusal(file, st) ?? protectedBy(file, st, protect);
    if (why) throw new SafeWriteError(why, file);
    return { h, st };
  } catch (e) {
    await h.close();
    throw e;
  }
}

/**
 * Whether a kept handle may be written again: the path (not followed) names that same file (device
 * and inode as opened), a regular file with one name, and no protected path reaches it (followed:
 * a link or another name made to it since). One lstat, and a stat a protected file: the path's
 * stats, being the kept file's own, say what an fstat of the handle would.
 */
function stillTheOutput(keep: KeptOutput, file: string, protect: Iterable<string>): boolean {
  const id = keep.id;
  try {
    const now = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!id || !now || now.dev !== id.dev || now.ino !== id.ino || refusal(file, now)) return false;
    for (const p of protect) {
      const abs = path.resolve(p);
      if (abs === file) continue; // the output open as a results file of its own
      const pSt = fs.statSync(abs, { throwIfNoEntry: false });
      if (pSt && pSt.dev === id.dev && pSt.ino === id.ino) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Whether the opened file is one of `protect` (by real path, or the same file by device and inode). */
function protectedBy(file: string, st: fs.Stats, protect: Iterable<string>): string | undefined {
  const abs = protectedMatch(file, fs.realpathSync(file), st, protect, true);
  return abs && `${file} is the results file ${abs} (or reaches it); ST-Think never writes a results file it reads`;
}

/**
 * The protected file that `file` is, if any: the same path (unless `selfAllowed`: an output open as
 * a results file of its own), the same real path `real`, or the same file as `st` (device and inode).
 */
function protectedMatch(
  file: string,
  real: string,
  st: fs.Stats | undefined,
  protect: Iterable<string>,
  selfAllowed: boolean,
): string | undefined {
  for (const p of protect) {
    const abs = path.resolve(p);
    if (abs === file) {
      if (selfAllowed) continue;
      return abs;
    }
    let pReal = abs;
    let pSt: fs.Stats | undefined;
    try {
      pReal = fs.realpathSync(abs);
      pSt = fs.statSync(abs);
    } catch {
      // absent or unreadable: compared by its path
    }
    if (pReal === real || (st && pSt && pSt.dev === st.dev && pSt.ino === st.ino)) return abs;
  }
  return undefined;
}

/**
 * A last line without its newline (a writer killed mid-line) is copied to a new file beside the
 * output, written whole under a temporary name and then renamed, and cut from the output.
 */
async function moveAsidePartialLine(h: fs.promises.FileHandle, file: string): Promise<{ size: number; movedAside?: string }> {
  const { size } = fs.fstatSync(h.fd);
  if (size === 0) return { size };
  // The last byte first: a newline there (every append but one after a killed writer) ends the check.
  const last = Buffer.alloc(1);
  if (fs.readSync(h.fd, last, 0, 1, size - 1) === 1 && last[0] === 0x0a) return { size };
  const cut = await afterLastNewline(h, size);
  if (cut === size) return { size };
  const tail = Buffer.alloc(size - cut);
  await h.read(tail, 0, tail.length, cut);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const aside = `${file}.partial-${stamp}-${randomBytes(3).toString('hex')}`;
  const tmp = `${aside}.tmp`;
  const t = await fs.promises.open(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | O_NOFOLLOW, 0o644);
  try {
    await writeAll(t, tail);
    await t.sync();
  } finally {
    await t.close();
  }
  await fs.promises.rename(tmp, aside);
  await h.truncate(cut);
  return { size: cut, movedAside: aside };
}

/** The offset just after the last newline before `size` (0 when there is none). */
async function afterLastNewline(h: fs.promises.FileHandle, size: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await h.read(chunk, 0, end - start, start);
    const at = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (at >= 0) return start + at + 1;
    end = start;
  }
  return 0;
}

async function writeAll(h: fs.promises.FileHandle, data: Buffer): Promise<void> {
  for (let off = 0; off < data.length;) off += (await h.write(data, off, data.length - off)).bytesWritten;
}

/** One write of the whole line; short or failed, the file is cut back to its length before. */
async function appendChecked(
  h: fs.promises.FileHandle,
  file: string,
  data: Buffer,
  /** the file's length before the write (nothing else writes it under the lock) */
  size: number,
  // The line(s) into the page cache on the calling thread: one write(2) of a few KB (the sync, the wait
  // for the disk, stays asynchronous); through the thread pool it cost several times its own CPU.
  write: SafeAppendOptions['write'] = async (handle, d) => fs.writeSync(handle.fd, d, 0, d.length),
  sync = true,
): Promise<void> {
  let written: number;
  try {
    written = await write(h, data);
  } catch (e) {
    await h.truncate(size).catch(() => undefined);
    throw new SafeWriteError(`${file}: the line could not be written (${(e as Error).message}); the file is as it was`, file);
  }
  if (written !== data.length) {
    await h.truncate(size);
    throw new SafeWriteError(
      `${file}: only ${written} of ${data.length} bytes could be written (a full disk or a file size limit?); the file is as it was`,
      file,
    );
  }
  if (sync) await h.datasync(); // the file's data, what was written before it (unsynced) included
}

const DEFAULT_STALE_MS = 30_000;

/** Takes `lock` (created with O_EXCL), waiting for another writer; `release()` removes it if it is still this one. */
async function acquireLock(lock: string, opts: SafeAppendOptions): Promise<HeldLock> {
  const token = `${process.pid} ${os.hostname()} ${randomBytes(8).toString('hex')}\n`;
  const deadline = Date.now() + (opts.lockTimeoutMs ?? 10_000);
  const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | O_NOFOLLOW;
  for (;;) {
    try {
      const fd = fs.openSync(lock, flags, 0o644);
      let st: fs.Stats;
      try {
        fs.writeSync(fd, token);
        st = fs.fstatSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      const release = () => {
        try {
          if (fs.readFileSync(lock, 'utf8') === token) fs.unlinkSync(lock);
        } catch {
          // gone already (taken over as stale)
        }
      };
      return { path: lock, at: performance.now(), dev: st.dev, ino: st.ino, mtimeMs: st.mtimeMs, release };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (await removeIfStale(lock, opts.staleLockMs ?? DEFAULT_STALE_MS)) continue;
    if (Date.now() > deadline) {
      const holder = (await fs.promises.readFile(lock, 'utf8').catch(() => '')).split(' ')[0];
      throw new SafeWriteError(`${lock} is held by another writer${holder ? ` (process ${holder})` : ''}; try again`, lock);
    }
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
  }
}

/** Whether the process that wrote a lock on this machine is gone. */
function holderGone(text: string): boolean {
  const [pid, host] = text.split(' ');
  if (host !== os.hostname() || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes a stale lock: its holder is gone, it is too old, or it is not a regular file. It is
 * renamed away first and put back when what was renamed is not what was judged (a new lock).
 */
async function removeIfStale(lock: string, staleMs: number): Promise<boolean> {
  const st = await fs.promises.lstat(lock).catch(() => undefined);
  if (!st) return true;
  const text = st.isFile() ? await fs.promises.readFile(lock, 'utf8').catch(() => undefined) : '';
  if (text === undefined) return true;
  const stale = !st.isFile() || holderGone(text) || Date.now() - st.mtimeMs > staleMs;
  if (!stale) return false;
  const away = `${lock}.stale-${randomBytes(4).toString('hex')}`;
  try {
    await fs.promises.rename(lock, away);
  } catch {
    return true; // someone else took it away first
  }
  const took = st.isFile() ? await fs.promises.readFile(away, 'utf8').catch(() => undefined) : '';
  if (took !== text) await fs.promises.link(away, lock).catch(() => undefined);
  await fs.promises.unlink(away).catch(() => undefined);
  return true;
}

export interface SafeWriteFileOptions {
  /** Files never to be written over (compared by real path and by file identity). */
  protect?: Iterable<string>;
}

/**
 * Writes `data` (text, bytes, or chunks of text as they are made) to `file` atomically: into a new
 * temporary file beside it (created with O_EXCL, never through a link), synced, then renamed over
 * `file`. A target that is a link, not a regular file, has other names or is (or reaches) a
 * protected file is refused before anything is written; on any failure the temporary file is
 * removed and `file` is as it was.
 */
export async function safeWriteFile(
  file: string,
  data: string | Uint8Array | AsyncIterable<string | Uint8Array> | Iterable<string>,
  opts: SafeWriteFileOptions = {},
): Promise<void> {
  const target = path.resolve(file);
  const protect = [...(opts.protect ?? [])];
  await checkWholeFileTarget(target, protect);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const h = await fs.promises.open(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | O_NOFOLLOW, 0o644);
  try {
    try {
      if (typeof data === 'string' || data instanceof Uint8Array) await writeAll(h, Buffer.from(data));
      else for await (const chunk of data) await writeAll(h, Buffer.from(chunk));
      await h.sync();
    } finally {
      await h.close();
    }
    await checkWholeFileTarget(target, protect); // again: it may have changed while the data was written
    await fs.promises.rename(tmp, target);
  } catch (e) {
    await fs.promises.unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Refuses a whole-file target: a link, not a regular file, other names, or a protected file (also through a linked folder). */
async function checkWholeFileTarget(target: string, protect: readonly string[]): Promise<void> {
  const st = await fs.promises.lstat(target).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  const why = st && refusal(target, st);
  if (why) throw new SafeWriteError(why, target);
  // Where the file will really be: its folder's real path (a folder may be a link) and its name.
  const real = path.join(await fs.promises.realpath(path.dirname(target)), path.basename(target));
  const abs = protectedMatch(target, real, st, protect, false);
  if (abs)
    throw new SafeWriteError(`${target} is the results file ${abs} (or reaches it); ST-Think never writes over a results file`, target);
}
