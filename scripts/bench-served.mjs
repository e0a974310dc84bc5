// Served re-run benchmark (issue 14): 1,000 re-runs through the served provider (ServedRerunner +
// runAndSave: 8 JPEG frames of 420x360 read and sent as data: URLs, the reply streamed as SSE, one
// canonical record appended per run) against the test chat server (test/support/chatServer.ts) in
// a CHILD process, at concurrency 1, 8 and 32.
//   - client overhead per request: this process's CPU time (user + system) over the batch / runs:
//     the time the client spends not waiting for the server (the server's CPU is the child's);
//     minus the CPU of the benchmark's own forced GCs (benchGcMs: for the heap figure, not the client's work);
//   - memory: heap used after a GC every 100 runs (flat = no growth over the batch);
//   - throughput: records/min and streamed tokens/s (the test server answers at once, so these
//     are the client's ceiling, not a model's speed).
// CONCURRENCY=1 (or 1,8): those batches only (for a profile of one).
// NOSAVE=1: run() only (no record written), to split the client's time between the request and the save.
// Frames: each record (a forward and a reverse run) has its own 8 frame files (hard links of the same 8
// JPEGs under other names), so the client's frame cache is hit by the reverse run of a record only, as
// in a real batch; SAMEFRAMES=1 sends the same 8 files every time (every run after the first hits it).
// A warm-up batch of 200 runs (concurrency 8) goes first and is not counted.
// Needs `npm run build && npm run compile-tests`. Usage: node --expose-gc scripts/bench-served.mjs [--runs 1000]
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const out = (p) => require(path.join(root, 'out', p));
const { ServedRerunner } = out('src/core/model/served.js');
const { runAndSave, RerunWriter } = out('src/core/model/reruns.js');
const { buildPrompt } = out('src/core/model/prompt.js');
const { resolveGeneration } = out('src/core/model/sampling.js');
const { normalise } = out('src/core/normalize.js');

const argi = process.argv.indexOf('--runs');
const RUNS_ALL = argi > 0 ? Number(process.argv[argi + 1]) : 1000;
const RUNS = RUNS_ALL;
const gc = globalThis.gc ?? (() => undefined);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'st-bench-served-'));
const made = spawnSync('ffmpeg', [
  '-v',
  'error',
  '-f',
  'lavfi',
  '-i',
  'testsrc2=size=420x360:rate=8',
  '-frames:v',
  '8',
  path.join(tmp, 'f%d.jpg'),
]);
if (made.status !== 0) throw new Error(String(made.stderr));
const frameFiles = Array.from({ length: 8 }, (_, i) => path.join(tmp, `f${i + 1}.jpg`));
const frameBytes = frameFiles.reduce((s, f) => s + fs.statSync(f).size, 0);
fs.mkdirSync(path.join(tmp, 'records'));
/** The frame files of record `k` (runs 2k and 2k + 1): links of the same JPEGs, one folder a record. */
const framesOf = (k) => {
  if (process.env.SAMEFRAMES) return frameFiles;
  const dir = path.join(tmp, 'records', String(k));
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir);
    frameFiles.forEach((f, i) => fs.linkSync(f, path.join(dir, `f${i + 1}.jpg`)));
  }
  return frameFiles.map((_, i) => path.join(dir, `f${i + 1}.jpg`));
};
for (let k = 0; k < RUNS / 2 + 1; k++) framesOf(k); // made before the clock starts

// The server: a child process, answering each request with a 64-token reply streamed in 4-character pieces.
const serverSrc = `
const { startChatServer } = require(${JSON.stringify(path.join(root, 'out/test/support/chatServer.js'))});
const text = '<think>' + 'step '.repeat(48) + '</think><answer>A</answer>';
startChatServer(() => ({ content: text, chunkSize: 4, usage: { prompt_tokens: 700, completion_tokens: 64 } })).then((s) => {
  s.requests.push = () => 0; // keep nothing: the child's memory stays flat too
  process.stdout.write(s.baseUrl + '\\n');
});`;
const child = spawn(process.execPath, ['-e', serverSrc], { stdio: ['ignore', 'pipe', 'inherit'] });
const baseUrl = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(String(d).trim())));

const record = (() => {
  const row = {
    id: 'bench',
    video: 'clip.mp4',
    question: 'Based on this video, which landmarks did you pass by to reach your destination? Options: A. door, B. wall',
    gold: 'A',
    response: '<think>door</think><answer>A</answer>',
  };
  const n = normalise(row, { line: 1 });
  if (!n.ok) throw new Error(n.error);
  return n.record;
})();
const generation = resolveGeneration({}, undefined, undefined).settings;

async function batch(concurrency, RUNS = RUNS_ALL, tag = '') {
  const r = new ServedRerunner({ baseUrl, model: 'bench', concurrency });
  // One writer for the batch's re-runs file, as the CLI and the extension use.
  const writer = new RerunWriter(path.join(tmp, `c${concurrency}${tag}.reruns.jsonl`), { protect: [path.join(tmp, 'results.jsonl')] });
  const outFile = path.join(tmp, `c${concurrency}${tag}.reruns.jsonl`);
  const prompts = [buildPrompt(record, 'forward'), buildPrompt(record, 'reverse')];
  const heap = [];
  let next = 0;
  let tokens = 0;
  let gcCpu = 0;
  gc();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async () => {
    while (next < RUNS) {
      const i = next++;
      const prompt = prompts[i % 2];
      const files = framesOf(Math.floor(i / 2));
      const ctx = {
        source: { ...record, id: `bench-${i}` },
        sourceFile: path.join(tmp, 'results.jsonl'),
        mode: prompt.mode,
        prompt,
        frames: { sampler: 'qwen2vl', indices: [0, 1, 2, 3, 4, 5, 6, 7], width: 420, height: 364, video: 'clip.mp4' },
        model: { path: r.model.dir, name: r.model.name, dtype: r.model.dtype },
        provider: 'openai',
        generation,
      };
      const { output } = process.env.NOSAVE
        ? { output: await r.run({ frames: files.map((file) => ({ file })), size: { width: 420, height: 364 }, prompt, generation }) }
        : await runAndSave(r, { ...ctx, frameFiles: files, outFile, writer });
      tokens += output.timings.newTokens;
      if ((i + 1) % 100 === 0) {
        // The benchmark's own forced GC (for the heap figure) is not the client's: its CPU is taken out.
        const g0 = process.cpuUsage();
        gc();
        heap.push(process.memoryUsage().heapUsed);
        const g = process.cpuUsage(g0);
        gcCpu += g.user + g.system;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await writer.close(); // the last records synced, the file closed: within the batch's CPU
  await r.dispose();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const lines = process.env.NOSAVE ? RUNS : fs.readFileSync(outFile, 'utf8').split('\n').filter(Boolean).length;
  if (!process.env.NOSAVE && lines !== RUNS) throw new Error(`${outFile}: ${lines} lines, expected ${RUNS}`);
  const mib = (b) => (b / 2 ** 20).toFixed(1);
  return {
    concurrency,
    runs: RUNS,
    wallS: +(wall / 1000).toFixed(2),
    recordsPerMin: Math.round((RUNS / wall) * 60_000),
    tokensPerS: Math.round((tokens / wall) * 1000),
    clientCpuMsPerRequest: +((cpu.user + cpu.system - gcCpu) / 1000 / RUNS).toFixed(3),
    // of which the kernel's (system time: the socket writes and reads over loopback, the file appends)
    systemMsPerRequest: +(cpu.system / 1000 / RUNS).toFixed(3),
    benchGcMs: +(gcCpu / 1000).toFixed(1),
    frameCacheHits: `${r.frames.hits}/${r.frames.hits + r.frames.misses}`,
    heapMiB: `${mib(heap[0])} → ${mib(heap[heap.length - 1])} (max ${mib(Math.max(...heap))}, every 100 runs after GC)`,
  };
}

try {
  console.log(
    `served re-runs: ${RUNS} per batch, 8 frames (${(frameBytes / 1024).toFixed(0)} KiB JPEG) a request, 64 tokens streamed; ` +
      `${process.env.SAMEFRAMES ? 'the same frame files for every run' : 'frame files of its own for each record (forward + reverse)'}` +
      `${process.env.NOSAVE ? '; nothing saved' : ''}`,
  );
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${os.cpus().length} CPUs, node ${process.version}`,
  );
  // A warm-up batch first, not counted (the code compiled and optimised, as in a long batch): else the
  // first batch measured (concurrency 1) carries the process's start-up work.
  await batch(8, 200, '-warm-up');
  const rows = [];
  for (const c of process.env.CONCURRENCY ? process.env.CONCURRENCY.split(',').map(Number) : [1, 8, 32]) rows.push(await batch(c));
  console.table(rows);
  const worst = Math.max(...rows.map((r) => r.clientCpuMsPerRequest));
  console.log(`client overhead per request: at most ${worst} ms (target < 2 ms): ${worst < 2 ? 'OK' : 'OVER'}`);
  console.log(
    `load average after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  child.kill();
  fs.rmSync(tmp, { recursive: true, force: true });
}
