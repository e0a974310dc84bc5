// Runs the same integration suite through @vscode/test-electron, on a desktop VS Code that is
// already installed (VSCODE_EXECUTABLE): these machines cannot download one.
const path = require('node:path');
const { runTests } = require('@vscode/test-electron');

const root = path.resolve(__dirname, '../..');
runTests({
  vscodeExecutablePath: process.env.VSCODE_EXECUTABLE,
  extensionDevelopmentPath: root,
  extensionTestsPath: path.join(root, 'out/test/integration/index.js'),
  launchArgs: [path.join(root, 'samples'), '--disable-extensions', '--disable-workspace-trust'],
}).catch((e) => {
  console.error('test-electron run failed:', e);
  process.exit(1);
});
