/**
 * The safe writer (issue 10, security point 1 and robustness point 12): no links, regular files
 * only, never a protected file; one checked write per line, cut back when short; a partial last
 * line moved aside; concurrent writers (two processes) serialised on a lock file.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KeptOutput, safeAppendLine, safeAppendLines, SafeWriteError } from '../../src/core/safeWrite';

let dir = '';
before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-safe-write-'))));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function fresh(name: string, text = ''): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('what the safe writer refuses', () => {
  test('a link to a protected results file, or to any other file: refused with a clear error, the target unchanged', async () => {
    const results = fresh('r.jsonl', '{"id":"a"}\n');
    const other = fresh('profile', 'echo hi\n');
    for (const target of [results, other]) {
      const out = path.join(dir, `to-${path.basename(target)}.reruns.jsonl`);
      fs.symlinkSync(target, out);
      await assert.rejects(safeAppendLine(out, '{"x":1}', { protect: [results] }), (e: Error) => {
        assert.ok(e instanceof SafeWriteError);
        assert.match(e.message, /is a symbolic link/);
        return true;
      });
      assert.equal(fs.readFileSync(target, 'utf8'), target === results ? '{"id":"a"}\n' : 'echo hi\n');
      assert.ok(fs.lstatSync(out).isSymbolicLink());
    }
  });

  test('a path whose real path is a protected file (through a linked folder), or a hard link to one, is refused', async () => {
    const real = fs.mkdtempSync(path.join(dir, 'real-'));
    const results = path.join(real, 'r.jsonl');
    fs.writeFileSync(results, '{"id":"a"}\n');
    const linkedDir = path.join(dir, 'linked-folder');
    fs.symlinkSync(real, linkedDir);
    await assert.rejects(safeAppendLine(path.join(linkedDir, 'r.jsonl'), '{}', { protect: [results] }), /is the results file/);
    const hard = path.join(dir, 'hard.reruns.jsonl');
    fs.linkSync(results, hard);
    await assert.rejects(safeAppendLine(hard, '{}', { protect: [results] }), /hard links/);
    assert.equal(fs.readFileSync(results, 'utf8'), '{"id":"a"}\n');
  });

  test('a FIFO and a folder are refused without blocking', async () => {
    const fifo = path.join(dir, 'fifo.reruns.jsonl');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    await assert.rejects(safeAppendLine(fifo, '{}'), /not a regular file/);
    const folder = path.join(dir, 'folder.reruns.jsonl');
    fs.mkdirSync(folder);
    await assert.rejects(safeAppendLine(folder, '{}'), /not a regular file/);
  });

  test('the output itself may be open as a results file; a new file is created', async () => {
    const out = path.join(dir, 'new', 'x.reruns.jsonl');
    await safeAppendLine(out, '{"a":1}', { protect: [out] });
    await safeAppendLine(out, '{"a":2}', { protect: [out] });
    assert.equal(fs.readFileSync(out, 'utf8'), '{"a":1}\n{"a":2}\n');
    assert.ok(!fs.existsSync(`${out}.lock`));
  });
});

describe('appends are all or nothing', () => {
  test('a short write is an error and the file is cut back to its previous length', async () => {
    const file = fresh('short.jsonl', '{"a":1}\n');
    const half = async (h: fs.promises.FileHandle, d: Buffer) => (await h.write(d, 0, Math.floor(d.length / 2))).bytesWritten;
    await assert.rejects(safeAppendLine(file, '{"b":"0123456789"}', { write: half }), /only 9 of 19 bytes could be written/);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n');
  });

  test('a failed write (a full disk) after part of the line is an error and the file is cut back', async () => {
    const file = fresh('full.jsonl', '{"a":1}\n');
    const full = async (h: fs.promises.FileHandle, d: Buffer) => {
      await h.write(d, 0, 3);
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    };
    await assert.rejects(safeAppendLine(file, '{"b":2}', { write: full }), /could not be written \(ENOSPC/);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n');
  });

  test('a partial last line is moved aside to a new file and reported; a file of one partial line too', async () => {
    const file = fresh('partial.jsonl', '{"a":1}\n{"b":');
    const r = await safeAppendLine(file, '{"c":3}');
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n{"c":3}\n');
    assert.ok(r.movedAside);
    assert.equal(path.dirname(r.movedAside), dir);
    assert.match(path.basename(r.movedAside), /^partial\.jsonl\.partial-\S+$/);
    assert.equal(fs.readFileSync(r.movedAside, 'utf8'), '{"b":');
    const only = fresh('only-partial.jsonl', '{"half');
    const r2 = await safeAppendLine(only, '{"d":4}');
    assert.equal(fs.readFileSync(only, 'utf8'), '{"d":4}\n');
    assert.equal(fs.readFileSync(r2.movedAside!, 'utf8'), '{"half');
    assert.deepEqual(await safeAppendLine(only, '{"e":5}'), {});
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')),
      [],
    );
  });

  test('after lines over 64 KiB: a whole last line is kept, a partial one of any length moved aside whole', async () => {
    const long = `{"x":"${'y'.repeat(70 * 1024)}"}`;
    const whole = fresh('long-whole.jsonl', `${long}\n${long}\n`);
    assert.deepEqual(await safeAppendLine(whole, '{"a":1}'), {});
    assert.equal(fs.readFileSync(whole, 'utf8'), `${long}\n${long}\n{"a":1}\n`);
    const part = fresh('long-partial.jsonl', `${long}\n${long.slice(0, -3)}`);
    const r = await safeAppendLine(part, '{"b":2}');
    assert.equal(fs.readFileSync(part, 'utf8'), `${long}\n{"b":2}\n`);
    assert.equal(fs.readFileSync(r.movedAside!, 'utf8'), long.slice(0, -3));
  });

  test('a lock held by a live writer waits, then says so; a stale lock (its process gone, or old) is taken over', async () => {
    const file = fresh('locked.jsonl');
    const lock = `${file}.lock`;
    fs.writeFileSync(lock, `${process.pid} ${os.hostname()} held\n`);
    await assert.rejects(safeAppendLine(file, '{}', { lockTimeoutMs: 100 }), /held by another writer \(process \d+\)/);
    assert.equal(fs.readFileSync(file, 'utf8'), '');
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(lock, old, old);
    await safeAppendLine(file, '{"a":1}');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    fs.writeFileSync(lock, `${gone} ${os.hostname()} killed\n`);
    await safeAppendLine(file, '{"a":2}', { lockTimeoutMs: 100 });
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n{"a":2}\n');
    assert.ok(!fs.existsSync(lock));
  });

  test('a writer waits while another holds the lock, and writes once it is released', async () => {
    const file = fresh('waits.jsonl');
    const lock = `${file}.lock`;
    fs.writeFileSync(lock, `${process.pid} ${os.hostname()} held\n`);
    let done = false;
    const writing = safeAppendLine(file, '{"a":1}').then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(done, false);
    assert.equal(fs.readFileSync(file, 'utf8'), '');
    fs.unlinkSync(lock);
    await writing;
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n');
  });

  test(
    'two processes appending at once after a killed writer: every line whole, none blank, ' +
      'none lost, the partial line moved aside once',
    async () => {
      const sub = fs.mkdtempSync(path.join(dir, 'concurrent-'));
      const file = path.join(sub, 'concurrent.jsonl');
      fs.writeFileSync(file, '{"killed":');
      const mod = path.resolve(__dirname, '../../src/core/safeWrite.js');
      const script = `const { safeAppendLine } = require(${JSON.stringify(mod)});
(async () => {
  const who = process.argv[1];
  for (let i = 0; i < 150; i++) await safeAppendLine(${JSON.stringify(file)}, JSON.stringify({ who, i, pad: 'x'.repeat(3000 + i) }));
})().catch((e) => { console.error(e); process.exit(1); });`;
      const child = (who: string) =>
        new Promise<number | null>((resolve) => spawn(process.execPath, ['-e', script, who], { stdio: 'inherit' }).on('exit', resolve));
      assert.deepEqual(await Promise.all([child('a'), child('b')]), [0, 0]);
      const text = fs.readFileSync(file, 'utf8');
      assert.ok(text.endsWith('\n'));
      const lines = text.slice(0, -1).split('\n');
      assert.equal(lines.length, 300);
      const seen = { a: [] as number[], b: [] as number[] };
      for (const l of lines) {
        const r = JSON.parse(l) as { who: 'a' | 'b'; i: number; pad: string };
        assert.equal(r.pad.length, 3000 + r.i);
        seen[r.who].push(r.i);
      }
      const all = Array.from({ length: 150 }, (_, i) => i);
      assert.deepEqual(seen, { a: all, b: all });
      const aside = fs.readdirSync(sub).filter((n) => n !== 'concurrent.jsonl');
      assert.equal(aside.length, 1, aside.join(' '));
      assert.equal(fs.readFileSync(path.join(sub, aside[0]), 'utf8'), '{"killed":');
    },
  );
});

describe('an output kept open between appends (one writer of a batch)', () => {
  test('the same handle is written again while the path still names that file; closed, the next append opens it anew', async () => {
    const file = fresh('kept.jsonl');
    const keep = new KeptOutput();
    await safeAppendLines(file, ['{"a":1}'], {}, keep);
    const h = keep.handle;
    assert.ok(h, 'kept open after the write');
    await safeAppendLines(file, ['{"b":2}', '{"c":3}'], {}, keep);
    assert.equal(keep.handle, h, 'the same handle, not opened again');
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n{"b":2}\n{"c":3}\n');
    await keep.close();
    assert.equal(keep.handle, undefined);
    await safeAppendLines(file, ['{"d":4}'], {}, keep);
    assert.notEqual(keep.handle, h);
    assert.equal(fs.readFileSync(file, 'utf8').split('\n').length, 5);
    await keep.close();
  });

  test('re-checked before each write: a file replaced, linked or given another name is not written through the old handle', async () => {
    const results = fresh('kept-results.jsonl', '{"r":1}\n');
    const file = fresh('kept-re.jsonl');
    const keep = new KeptOutput();
    const opts = { protect: [results] };
    await safeAppendLines(file, ['{"a":1}'], opts, keep);
    // Renamed away and a new file made: the new file gets the line, the old one nothing more.
    fs.renameSync(file, `${file}.old`);
    await safeAppendLines(file, ['{"b":2}'], opts, keep);
    assert.equal(fs.readFileSync(`${file}.old`, 'utf8'), '{"a":1}\n');
    assert.equal(fs.readFileSync(file, 'utf8'), '{"b":2}\n');
    // A second name (hard link) for the kept file: refused, nothing written.
    fs.linkSync(file, `${file}.second`);
    await assert.rejects(safeAppendLines(file, ['{"c":3}'], opts, keep), /other names/);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"b":2}\n');
    fs.unlinkSync(`${file}.second`);
    await safeAppendLines(file, ['{"c":3}'], opts, keep);
    // A protected path made a link to the kept file (the file itself unchanged): refused on the kept handle too.
    const results2 = path.join(dir, 'kept-results2.jsonl');
    fs.symlinkSync(file, results2);
    await assert.rejects(safeAppendLines(file, ['{"x":0}'], { protect: [results, results2] }, keep), /results file/);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"b":2}\n{"c":3}\n');
    // Replaced by a link to the results file: refused, the results file untouched.
    fs.unlinkSync(file);
    fs.symlinkSync(results, file);
    await assert.rejects(safeAppendLines(file, ['{"d":4}'], opts, keep), /symbolic link/);
    assert.equal(fs.readFileSync(results, 'utf8'), '{"r":1}\n');
    await keep.close();
  });

  test('data syncs grouped (syncEveryMs): each line written whole before its append resolves, synced later or on close', async () => {
    const count = (keep: KeptOutput) => {
      const h = keep.handle!;
      const n = { syncs: 0 };
      const real = h.datasync.bind(h);
      h.datasync = async () => {
        n.syncs++;
        return real();
      };
      return n;
    };
    const file = fresh('grouped.jsonl');
    const keep = new KeptOutput(60_000);
    await safeAppendLines(file, ['{"a":1}'], {}, keep); // the first write is synced
    const n = count(keep);
    await safeAppendLines(file, ['{"b":2}'], {}, keep);
    await safeAppendLines(file, ['{"c":3}'], {}, keep);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n{"b":2}\n{"c":3}\n', 'written at once, whole');
    assert.equal(n.syncs, 0, 'not synced within syncEveryMs');
    await keep.close();
    assert.equal(n.syncs, 1, 'synced once on close');
    // The default: every write synced.
    const every = new KeptOutput();
    await safeAppendLines(file, ['{"d":4}'], {}, every);
    const m = count(every);
    await safeAppendLines(file, ['{"e":5}'], {}, every);
    await safeAppendLines(file, ['{"f":6}'], {}, every);
    assert.equal(m.syncs, 2);
    await every.close();
    assert.equal(m.syncs, 2, 'nothing left to sync');
  });
});

describe('a kept output holding its lock between writes (holdLockMs: a batch writer)', () => {
  test('the lock is made once for consecutive writes; one taken over is never written under; close lets it go', async () => {
    const file = fresh('held.jsonl');
    const lock = `${file}.lock`;
    const keep = new KeptOutput(0, 60_000);
    await safeAppendLines(file, ['{"a":1}'], {}, keep);
    const first = fs.lstatSync(lock);
    assert.match(fs.readFileSync(lock, 'utf8'), new RegExp(`^${process.pid} `), 'held by this process after the write');
    await safeAppendLines(file, ['{"b":2}'], {}, keep);
    const second = fs.lstatSync(lock);
    assert.equal(second.ino, first.ino, 'the same lock file, not made again');
    assert.equal(second.mtimeMs, first.mtimeMs);
    // Another writer's lock in its place (as if ours had been judged stale and taken over): waited for, not written under.
    fs.unlinkSync(lock);
    fs.writeFileSync(lock, `${process.pid} ${os.hostname()} another\n`);
    await assert.rejects(safeAppendLines(file, ['{"x":0}'], { lockTimeoutMs: 100 }, keep), /held by another writer/);
    assert.equal(fs.readFileSync(lock, 'utf8'), `${process.pid} ${os.hostname()} another\n`, "the other writer's lock left alone");
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n{"b":2}\n');
    fs.unlinkSync(lock);
    await safeAppendLines(file, ['{"c":3}'], {}, keep);
    assert.ok(fs.existsSync(lock));
    await keep.close();
    assert.ok(!fs.existsSync(lock), 'let go on close');
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n{"b":2}\n{"c":3}\n');
  });

  test('held past its time, the lock is let go and made again; a refused write lets it go', async () => {
    const file = fresh('held-time.jsonl');
    const lock = `${file}.lock`;
    const keep = new KeptOutput(0, 40);
    await safeAppendLines(file, ['{"a":1}'], {}, keep);
    const token = fs.readFileSync(lock, 'utf8');
    await new Promise((r) => setTimeout(r, 60));
    await safeAppendLines(file, ['{"b":2}'], {}, keep);
    assert.notEqual(fs.readFileSync(lock, 'utf8'), token, 'a new lock after the hold time');
    fs.linkSync(file, `${file}.second`);
    await assert.rejects(safeAppendLines(file, ['{"c":3}'], {}, keep), /other names/);
    assert.ok(!fs.existsSync(lock), 'a refused write holds no lock');
    await keep.close();
  });

  test(
    'a writer holding its lock and a writer in another process: serialised (no line split by the other), ' +
      'and the other gets its turns within its wait',
    async () => {
      const sub = fs.mkdtempSync(path.join(dir, 'held-concurrent-'));
      const file = path.join(sub, 'held.jsonl');
      const mod = path.resolve(__dirname, '../../src/core/safeWrite.js');
      // Each line goes out in two writes 3 ms apart: a writer not kept out by the lock lands between them.
      const script = `const fs = require('node:fs');
const { KeptOutput, safeAppendLines } = require(${JSON.stringify(mod)});
const write = async (h, d) => {
  const half = d.length >> 1;
  let n = fs.writeSync(h.fd, d, 0, half);
  await new Promise((r) => setTimeout(r, 3));
  return n + fs.writeSync(h.fd, d, half, d.length - half);
};
(async () => {
  const who = process.argv[1];
  const keep = who === 'holder' ? new KeptOutput(0, 150) : undefined;
  const until = Date.now() + 3000; // longer than the other's wait: without its turns, the other fails
  for (let i = 0; who === 'holder' ? Date.now() < until : i < 25; i++) {
    const line = JSON.stringify({ who, i, pad: 'x'.repeat(2000) });
    await safeAppendLines(${JSON.stringify(file)}, [line], { write, lockTimeoutMs: 2000 }, keep);
    if (who !== 'holder') await new Promise((r) => setTimeout(r, 20));
  }
  await keep?.close();
})().catch((e) => { console.error(e); process.exit(1); });`;
      const child = (who: string) =>
        new Promise<number | null>((resolve) => spawn(process.execPath, ['-e', script, who], { stdio: 'inherit' }).on('exit', resolve));
      assert.deepEqual(await Promise.all([child('holder'), child('other')]), [0, 0], 'both finished: the other not kept out past its wait');
      const lines = fs.readFileSync(file, 'utf8').slice(0, -1).split('\n');
      const seen = { holder: [] as number[], other: [] as number[] };
      for (const l of lines) {
        const r = JSON.parse(l) as { who: 'holder' | 'other'; i: number; pad: string };
        assert.equal(r.pad.length, 2000);
        seen[r.who].push(r.i);
      }
      assert.deepEqual(
        seen.other,
        Array.from({ length: 25 }, (_, i) => i),
      );
      assert.ok(seen.holder.length > 25, `the holder wrote ${seen.holder.length} lines`);
      assert.ok(!fs.existsSync(`${file}.lock`));
    },
  );
});
