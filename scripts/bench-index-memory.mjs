// The extension's index in memory: what ResultsIndex.build keeps per record of a file, above the
// process's state before it (run with --expose-gc). Prints JSON: records, heap bytes per record (V8
// heap and array buffers after a full collection), and the RSS growth per record.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { ResultsIndex } = require(path.join(root, 'out/src/core/index/index.js'));
const file = process.argv[2];
const used = () => {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.arrayBuffers, rss: m.rss };
};
const before = used();
const index = await ResultsIndex.build(file, {});
const after = used();
const records = index.entries.length;
console.log(
  JSON.stringify({
    records,
    heapBytesPerRecord: Math.round((after.heap - before.heap) / records),
    rssBytesPerRecord: Math.round((after.rss - before.rss) / records),
  }),
);
