// One side of the training benchmark (scripts/bench-training.mjs) alone, for counting its instructions:
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//     node --single-threaded --hash-seed=1 --random-seed=1 scripts/parse-one.mjs MODE PATH
// MODE: none (loads the modules only: the count to subtract), index (ResultsIndex.build on a results
// file), run (TrainingRun.open on a run folder or file), log (TrainingLogReader on a log file), state
// (readTrainerState on a trainer_state.json). Wall clocks mean little on a loaded machine; callgrind's
// "Collected" count less the `none` count, over the input's bytes, is the per-byte figure of docs/benchmarks.md.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { ResultsIndex } = require(path.join(root, 'out/src/core/index/index.js'));
const { TrainingRun, TrainingLogReader, readTrainerState } = require(path.join(root, 'out/src/core/training/index.js'));

const [mode, file] = process.argv.slice(2);
if (mode === 'index') {
  await ResultsIndex.build(file);
} else if (mode === 'run') {
  const run = await TrainingRun.open(file);
  console.log(`${run.completions.length} completions, ${run.groups.length} groups, ${run.entries.length} metric entries`);
} else if (mode === 'log') {
  const reader = new TrainingLogReader(file);
  await reader.read();
  // Every dict's values read (with deferDicts, as a run folder's reader has it, they are read on first use).
  let values = 0;
  for (const m of reader.metrics) values += Object.keys(m.values).length;
  console.log(`${reader.completions.length} completions, ${reader.metrics.length} metrics dicts, ${values} values`);
} else if (mode === 'state') {
  console.log(`${readTrainerState(file, readFileSync(file, 'utf8')).entries.length} entries`);
} else if (mode !== 'none') {
  throw new Error('usage: node scripts/parse-one.mjs none|index|run|log|state PATH');
}
