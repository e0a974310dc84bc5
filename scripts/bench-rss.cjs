// Preloaded (node -r) into a benchmarked process: on exit, writes its peak resident set size (KiB)
// to the file named by BENCH_RSS_OUT.
const fs = require('node:fs');
process.on('exit', () => {
  if (process.env.BENCH_RSS_OUT) fs.writeFileSync(process.env.BENCH_RSS_OUT, String(process.resourceUsage().maxRSS));
});
