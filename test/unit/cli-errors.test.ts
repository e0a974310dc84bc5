/**
 * The CLI's failures (issue 10, point 5), run as the built CLI (npm run build first): a path that
 * cannot be read and every way `frames extract` can fail give one line naming the file and the
 * reason, exit status 1 (2 for usage errors, whose one line is followed by the usage text), never
 * a stack trace, V8's "at …" frames or a schema's raw report.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NotResultsFileError, ResultsIndex } from '../../src/core/index';
import { fixture, makeTempDir, removeDir, repoRoot } from './helpers';

const cli = path.join(repoRoot, 'dist/cli.js');
let dir = '';
let clip = '';
before(() => {
  dir = makeTempDir('cli-errors');
  clip = path.join(dir, 'clip.mp4');
  ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10', '-frames:v', '20', '-pix_fmt', 'yuv420p', clip);
});
after(() => removeDir(dir));

function ffmpeg(...args: string[]): void {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args]);
  assert.equal(r.status, 0, String(r.stderr));
}

function st(args: string[], cwd = dir) {
  assert.ok(fs.existsSync(cli), `${cli} is missing: run \`npm run build\` first`);
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd, timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** No stack frames anywhere; no internal error or schema report in the message (the usage text after it may hold brackets). */
function noTrace(stderr: string, what: string): void {
  assert.doesNotMatch(stderr, /^\s+at /m, `${what}: a stack frame in ${stderr}`);
  const message = stderr.split('\nusage:\n')[0];
  assert.doesNotMatch(message, /internal error|ZodError|"code":|"origin":|\[\s*\{/, `${what}: ${stderr}`);
}

/** Exit 1 and exactly one line on stderr, that names `name` and matches `reason`. */
function failsWithOneLine(args: string[], name: string, reason: RegExp): void {
  const what = args.join(' ').slice(0, 120);
  const r = st(args);
  assert.equal(r.code, 1, `${what} → ${r.code}: ${r.stderr}`);
  noTrace(r.stderr, what);
  assert.match(r.stderr, /^st-think: [^\n]+\n$/, `${what}: not one line: ${r.stderr}`);
  assert.ok(r.stderr.includes(name), `${what}: ${r.stderr} does not name ${name}`);
  assert.match(r.stderr, reason, what);
}

/** Exit 2: one line saying what is wrong, then the usage text. */
function usageError(args: string[], reason: RegExp): void {
  const what = args.join(' ');
  const r = st(args);
  assert.equal(r.code, 2, `${what} → ${r.code}: ${r.stderr}`);
  noTrace(r.stderr, what);
  const [first, ...rest] = r.stderr.split('\n');
  assert.match(first, /^st-think: /, what);
  assert.match(first, reason, what);
  assert.match(rest[0], /^usage:$/, `${what}: ${r.stderr}`);
}

describe('st-think: paths that cannot be read', () => {
  test('ENOTDIR, ELOOP and ENAMETOOLONG: one line naming the path, exit 1', () => {
    const file = path.join(dir, 'plain.txt');
    fs.writeFileSync(file, 'x\n');
    failsWithOneLine(['validate', path.join(file, 'x')], path.join(file, 'x'), /not a directory \(ENOTDIR\)/);
    fs.symlinkSync(path.join(dir, 'loop-b'), path.join(dir, 'loop-a'));
    fs.symlinkSync(path.join(dir, 'loop-a'), path.join(dir, 'loop-b'));
    failsWithOneLine(['validate', path.join(dir, 'loop-a')], 'loop-a', /\(ELOOP\)/);
    failsWithOneLine(['summary', path.join(dir, 'loop-a'), '--json'], 'loop-a', /\(ELOOP\)/);
    const long = path.join(dir, 'n'.repeat(300));
    failsWithOneLine(['validate', long], long, /\(ENAMETOOLONG\)/);
    failsWithOneLine(['consistency', long], long, /\(ENAMETOOLONG\)/);
    failsWithOneLine(['validate', path.join(dir, 'missing.jsonl')], 'missing.jsonl', /no such file or directory \(ENOENT\)/);
  });

  test('an empty path is a usage error: the working directory is not checked', () => {
    // Run where a results file's folder would be: "" must not read the folder (cwd) as the file.
    const cwd = path.dirname(fixture('canonical.jsonl'));
    for (const args of [
      ['validate', ''],
      ['summary', ''],
      ['consistency', ''],
      ['compare', fixture('canonical.jsonl'), ''],
    ]) {
      const r = st(args, cwd);
      assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, /^st-think: an empty path names no file\nusage:/);
      assert.doesNotMatch(r.stderr, /not a results file|regular file/);
    }
    usageError(['prompt', '', '--line', '1'], /empty path/);
    usageError(['frames', 'extract', '', '--out', path.join(dir, 'o')], /empty path/);
    usageError(['frames', 'extract', clip, '--out', ''], /--out needs a folder/);
  });
});

describe('st-think frames extract: every failure is one line', () => {
  test('videos that are not videos: missing, empty, text, truncated, audio only, a folder, a device', () => {
    const out = path.join(dir, 'out-bad');
    const empty = path.join(dir, 'empty.mp4');
    fs.writeFileSync(empty, '');
    const text = path.join(dir, 'text.mp4');
    fs.writeFileSync(text, 'not a video at all\n');
    const truncated = path.join(dir, 'truncated.mp4');
    fs.writeFileSync(truncated, fs.readFileSync(clip).subarray(0, 1500));
    const audio = path.join(dir, 'audio.mp4');
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', audio);
    const folder = path.join(dir, 'folder.mp4');
    fs.mkdirSync(folder);
    const cases: [string, RegExp][] = [
      [path.join(dir, 'missing.mp4'), /no such file or directory \(ENOENT\)/],
      [empty, /empty file, not a video/],
      [text, /not a video ffprobe can read/],
      [truncated, /not a video ffprobe can read/],
      [audio, /no video stream/],
      [folder, /is a folder, not a video/],
    ];
    if (fs.existsSync('/dev/zero')) cases.push(['/dev/zero', /not a regular file/]);
    for (const [video, reason] of cases) failsWithOneLine(['frames', 'extract', video, '--out', out], video, reason);
    failsWithOneLine(['frames', 'extract', text, '--out', out, '--json'], text, /not a video ffprobe can read/);
  });

  test('a video whose data is lost after its index: the frames it has, and one line counting those it lacks', () => {
    // moov first (faststart), then the media data zeroed from 40% on: ffprobe lists every frame, the later ones cannot be decoded.
    const whole = path.join(dir, 'faststart.mp4');
    ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=25',
      '-frames:v',
      '250',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+faststart',
      whole,
    );
    const damaged = path.join(dir, 'data-lost.mp4');
    const bytes = fs.readFileSync(whole);
    bytes.fill(0, Math.floor(bytes.length * 0.4));
    fs.writeFileSync(damaged, bytes);
    const r = st(['frames', 'extract', damaged, '--out', path.join(dir, 'out-lost')]);
    assert.equal(r.code, 1, r.stderr);
    noTrace(r.stderr, 'data lost');
    assert.match(r.stderr, /^st-think: .*data-lost\.mp4: \d+ of 8 frames could not be decoded\n$/);
    assert.match(r.stdout, /^0\t0\.000s\t.*frame-000000\.jpg$/m);
    assert.match(r.stdout, /\tmissing: /);
  });

  test('--out a file, an ffmpeg that is not one: exit 1 with one line', () => {
    const file = path.join(dir, 'out-is-a-file');
    fs.writeFileSync(file, '');
    failsWithOneLine(['frames', 'extract', clip, '--out', file], file, /--out must be a folder/);
    const echo = ['/bin/echo', '/usr/bin/echo'].find((p) => fs.existsSync(p));
    if (echo) {
      failsWithOneLine(['frames', 'extract', clip, '--out', path.join(dir, 'o-echo'), '--ffmpeg', echo], clip, /did not answer as ffprobe/);
    }
    const none = path.join(dir, 'no-ffmpeg');
    failsWithOneLine(['frames', 'extract', clip, '--out', path.join(dir, 'o-none'), '--ffmpeg', none], none, /not an executable file/);
  });

  test('bad --count and --fps are usage errors naming the flag, not the schema report', () => {
    const out = path.join(dir, 'out-flags');
    usageError(['frames', 'extract', clip, '--out', out, '--count', '0'], /--count must be a whole number from 1 to 4096 \(got 0\)/);
    usageError(['frames', 'extract', clip, '--out', out, '--count', '5000'], /--count must be a whole number from 1 to 4096 \(got 5000\)/);
    usageError(['frames', 'extract', clip, '--out', out, '--count', '2.5'], /--count must be a whole number/);
    usageError(['frames', 'extract', clip, '--out', out, '--fps', '-1'], /--fps must be a number above 0 \(got -1\)/);
    usageError(['frames', 'plan', '--total-frames', '300', '--video-fps', '30', '--count', '0'], /--count must be a whole number/);
    usageError(['frames', 'plan', '--total-frames', '300', '--video-fps', '30', '--fps', '0'], /--fps must be a number above 0/);
    assert.ok(!fs.existsSync(out), 'nothing written on a usage error');
  });
});

describe('st-think validate: plain text and CR-only files (issue 10, point 9)', () => {
  const record = (id: string) => JSON.stringify({ id, video: '/v.mp4', question: 'q', response: 'r' });

  test('a 10-line text file is one "not a results file" message, not 10 problems', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => `hello world, line ${i + 1}`);
    for (const name of ['notes.txt', 'notes.jsonl', 'notes']) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, lines.join('\n') + '\n');
      const r = st(['validate', file]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '', `${name}: no problem per line`);
      assert.match(r.stderr, /^st-think: .+: not a results file: no line is JSON \(line 1: invalid JSON: [^\n]+\)\n$/);
      await assert.rejects(ResultsIndex.build(file), NotResultsFileError);
    }
    // Latin-1 text (invalid UTF-8 on every line) is plain text too.
    const latin1 = path.join(dir, 'latin1.txt');
    fs.writeFileSync(latin1, Buffer.from('caf\xe9 cr\xe8me\nna\xefve\n', 'latin1'));
    await assert.rejects(ResultsIndex.build(latin1), /not a results file: no line is JSON \(line 1: invalid UTF-8/);
  });

  test('damaged records, a text line among records, Latin-1 records: still one problem per line', async () => {
    const damaged = path.join(dir, 'damaged.jsonl');
    fs.writeFileSync(damaged, '{"id": "a", "video\n{not json\n[1, 2\n');
    const d = await ResultsIndex.build(damaged);
    assert.deepEqual([d.entries.length, d.problemCount], [0, 3]);
    const header = path.join(dir, 'header.jsonl');
    fs.writeFileSync(header, ['results of run 7', record('a'), record('b')].join('\n') + '\n');
    const h = await ResultsIndex.build(header);
    assert.deepEqual([h.entries.length, h.problemCount, h.problems[0].line], [2, 1, 1]);
    const latin1 = path.join(dir, 'latin1.jsonl');
    fs.writeFileSync(latin1, Buffer.from(`{"id": "caf\xe9", "video": "v", "question": "q", "response": "r"}\n`, 'latin1'));
    const l = await ResultsIndex.build(latin1);
    assert.deepEqual([l.entries.length, l.problemCount], [0, 1]);
    assert.match(l.problems[0].message, /invalid UTF-8/);
  });

  test('a file whose lines end in CR only gets a hint about its line endings', async () => {
    const text = [record('a'), record('b'), record('c')].join('\r') + '\r';
    for (const name of ['cr.jsonl', 'cr-no-extension', 'cr.json']) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      const r = st(['validate', file]);
      assert.equal(r.code, 1, r.stderr);
      const out = r.stdout.trimEnd().split('\n');
      assert.equal(out.length, 1, `${name}: ${r.stdout}`);
      assert.match(out[0], /:1: .*lines end in CR only: this line holds 3 CR-separated lines; convert the line breaks to LF/);
    }
    // CRLF and LF files are read as ever, with no hint.
    const crlf = path.join(dir, 'crlf.jsonl');
    fs.writeFileSync(crlf, text.replaceAll('\r', '\r\n'));
    const c = await ResultsIndex.build(crlf);
    assert.deepEqual([c.entries.length, c.problemCount], [3, 0]);
    // A CR inside a record that is damaged for another reason gets no hint.
    const other = path.join(dir, 'cr-inside.jsonl');
    fs.writeFileSync(other, '{"id": \r"a", "video\n');
    const o = await ResultsIndex.build(other);
    assert.doesNotMatch(o.problems[0].message, /CR only/);
  });
});

describe('a reader that stops early', () => {
  test('`validate FILE | head -1`: the first line, then a quiet stop with the status of SIGPIPE, no trace', () => {
    const line = fs.readFileSync(fixture('canonical.jsonl'), 'utf8').split('\n')[0];
    // Enough invalid lines that their report overflows a pipe's buffer long after the reader has gone.
    const file = path.join(dir, 'many-invalid.jsonl');
    fs.writeFileSync(file, Array.from({ length: 60_000 }, (_, i) => (i % 2 ? '{"id": 1}' : line)).join('\n') + '\n');
    const r = spawnSync(
      'bash',
      ['-c', `"${process.execPath}" "${cli}" validate "${file}" | head -1; echo "status \${PIPESTATUS[0]}" >&2`],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.match(r.stdout, /many-invalid\.jsonl:2: /);
    assert.equal(r.stdout.split('\n').filter(Boolean).length, 1);
    noTrace(r.stderr, 'validate | head -1');
    assert.doesNotMatch(r.stderr, /EPIPE|internal error/);
    assert.match(r.stderr, /status 141\n$/);
  });
});
