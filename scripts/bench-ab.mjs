// Interleaved A/B of `st-think summary FILE --json` between builds (each DIR a built checkout):
//   node scripts/bench-ab.mjs FILE RUNS A_DIR B_DIR   (one warm-up run of each, then RUNS of each, interleaved)
import { spawnSync } from 'node:child_process';
const [file, runs, ...dirs] = process.argv.slice(2);
const t = Object.fromEntries(dirs.map((d) => [d, []]));
for (let k = 0; k < Number(runs) + 1; k++)
  for (const d of dirs) {
    const s = process.hrtime.bigint();
    const p = spawnSync(process.execPath, [`${d}/dist/cli.js`, 'summary', file, '--json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - s) / 1e6;
    if (p.status !== 0) throw new Error(p.stderr.toString());
    if (k > 0) t[d].push(ms);
  }
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const d of dirs) console.log(d, 'median', med(t[d]).toFixed(0), 'ms', 'all', t[d].map((x) => x.toFixed(0)).join(' '));
