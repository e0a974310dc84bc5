/**
 * Entry point the VS Code test runner loads inside the extension host (code-server or desktop):
 * runs every compiled *.test.js in this folder with mocha and resolves when they pass.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  // ST_THINK_IT_GREP runs only the tests whose titles match it (while working on a few of them).
  const grep = process.env.ST_THINK_IT_GREP;
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec', ...(grep ? { grep } : {}) });
  const dir = __dirname;
  for (const f of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort())
    mocha.addFile(path.join(dir, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      // The closing line CI reads, whatever reporter mocha used.
      console.log(`integration: ${failures ? 'FAILED' : 'ok'}`);
      if (failures) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
  });
}
