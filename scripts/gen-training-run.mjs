// A generated GRPO run folder for the training benchmark (issue 13), in upstream's formats: a
// checkpoint's trainer_state.json (json.dumps(indent=2, sort_keys=True): one log_history entry per step,
// an eval entry every 500 steps), the trainer's printed log (a dict per step after tqdm's bar) and the
// reward debug log (ST-R1 grpo.py with DEBUG_MODE: a header per completion, then Content and Solution,
// multi-line; one timestamp per reward call of `generations` completions; calls of 4 processes interleaved).
// Deterministic. Usage: node scripts/gen-training-run.mjs [--steps 10000] [--completions 100000] [--out DIR]
// (importable: generateTrainingRun({ dir, steps, completions })).
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

const WORDS = 'turn left right walk straight pass the table chair door kitchen hallway stairs sofa window corridor then reach return'.split(
  ' ',
);

/** Python's repr of a float (enough of it: integers get ".0", exponents two digits). */
function pyFloat(x) {
  if (Number.isNaN(x)) return 'nan';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1);
  const s = String(x);
  return s.includes('e') ? s.replace(/e([+-])(\d)$/, 'e$10$2') : s;
}

function stepLogs(step, steps, r) {
  const acc = Math.min(1, 0.2 + (0.7 * step) / steps + (r() - 0.5) * 0.2);
  return {
    loss: +(r() * 0.001).toFixed(6),
    grad_norm: r() * 3,
    learning_rate: 1e-5 * (1 - step / steps),
    completion_length: 150 + r() * 200,
    'rewards/accuracy_reward': acc,
    reward: acc,
    advantages: r() < 0.5 ? 0 : 1.4901161193847656e-8,
    reward_mean: acc,
    reward_std: r() * 0.5,
    kl: r() * 0.01 * (step / steps),
    epoch: step / steps,
  };
}

function writeState(dir, steps, r) {
  const history = [];
  for (let s = 1; s <= steps; s++) {
    history.push({ ...stepLogs(s, steps, r), step: s });
    if (s % 500 === 0) history.push({ epoch: s / steps, eval_loss: r() * 0.01, eval_runtime: 12.5, step: s });
  }
  const sorted = (o) =>
    Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, o[k]]),
    );
  const state = { epoch: 1, eval_steps: 500, global_step: steps, log_history: history.map(sorted), logging_steps: 1, max_steps: steps };
  const ck = path.join(dir, `checkpoint-${steps}`);
  mkdirSync(ck, { recursive: true });
  writeFileSync(path.join(ck, 'trainer_state.json'), JSON.stringify(sorted(state), null, 2) + '\n');
}

function writeTrainingLog(dir, steps, r) {
  const lines = [];
  for (let s = 1; s <= steps; s++) {
    lines.push(`\r ${Math.floor((s / steps) * 100)}%|#####     | ${s}/${steps} [00:10<01:00, 10.00s/it]`);
    const d = stepLogs(s, steps, r);
    lines.push(
      '{' +
        Object.entries(d)
          .map(([k, v]) => `'${k}': ${pyFloat(v)}`)
          .join(', ') +
        '}',
    );
  }
  writeFileSync(path.join(dir, 'output_log.txt'), lines.join('\n') + '\n');
}

function writeDebugLog(dir, completions, r) {
  const words = (n) => Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
  const file = path.join(dir, 'debug_log.txt');
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  const generations = 8;
  const procs = 4;
  let batch = [];
  let written = 0;
  for (let t = 0; written < completions; t++) {
    const calls = Array.from({ length: procs }, (_, p) => {
      const hh = String(Math.floor(t / 3600) % 24).padStart(2, '0');
      const mm = String(Math.floor(t / 60) % 60).padStart(2, '0');
      const ss = String(t % 60).padStart(2, '0');
      return {
        ts: `${String(1 + (Math.floor(t / 86400) % 28)).padStart(2, '0')}-${hh}-${mm}-${ss}-${String(p * 1000 + 17).padStart(6, '0')}`,
        gold: 'ABCD'[Math.floor(r() * 4)],
      };
    });
    // The processes' calls interleave in the file, each completion written whole.
    for (let g = 0; g < generations; g++) {
      for (const call of calls) {
        if (written >= completions) break;
        const pred = r() < 0.6 ? call.gold : 'ABCD'[Math.floor(r() * 4)];
        const lines = Array.from({ length: 1 + Math.floor(r() * 6) }, () => words(8 + Math.floor(r() ** 2 * 40)) + '.');
        const content = r() < 0.05 ? `The answer is ${pred}` : `<think>${lines.join('\n')}</think>\n<answer>${pred}</answer>`;
        const chain = `Let's start by thinking reverse ${words(20)} Hence, the correct answer is ${call.gold}`;
        const sol = `<think>${chain}</think> <answer>${call.gold}</answer>`;
        const reward = pred === call.gold ? '1.0' : '0.0';
        batch.push(`------------- ${call.ts} Accuracy reward: ${reward} -------------\nContent: ${content}\nSolution: ${sol}\n`);
        written++;
      }
    }
    if (batch.length >= 4096) {
      writeSync(fd, batch.join(''));
      batch = [];
    }
  }
  if (batch.length) writeSync(fd, batch.join(''));
  closeSync(fd);
  renameSync(tmp, file);
}

/** Write the run folder (once: an existing folder is kept). Returns its path. */
export function generateTrainingRun({ dir, steps = 10_000, completions = 100_000 }) {
  if (existsSync(path.join(dir, 'debug_log.txt'))) return dir;
  mkdirSync(dir, { recursive: true });
  const r = rng(13);
  writeState(dir, steps, r);
  writeTrainingLog(dir, steps, r);
  writeDebugLog(dir, completions, r);
  return dir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const steps = Number(arg('steps', 10_000));
  const completions = Number(arg('completions', 100_000));
  const dir = arg('out', path.join(root, 'bench-data', `training-run-${steps}-${completions}`));
  console.log(generateTrainingRun({ dir, steps, completions }));
}
