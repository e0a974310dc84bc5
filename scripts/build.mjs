// One esbuild build for the three bundles: extension host (Node/CJS), webview (browser), CLI (Node/CJS).
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
// Minified always: start-up time of the CLI and of activation is dominated by parsing the bundle.
// Source maps stay beside the bundles except in the packaged .vsix.
const common = { bundle: true, sourcemap: !production, minify: true, logLevel: 'warning', legalComments: 'none' };

/**
 * In the CLI's bundles: normalize.ts's require('./schemas'), and main.ts's and summary.ts's
 * import('./commands') (summary.ts's: the judge's part, for files with route records) stay requires
 * of the files built beside them (dist/schemas.js, dist/commands.js).
 */
const splitCli = {
  name: 'split-cli',
  setup(build) {
    build.onResolve({ filter: /^\.\/(schemas|commands)$/ }, (args) => {
      const lazy =
        (args.kind === 'require-call' && args.importer.endsWith('normalize.ts')) ||
        (args.kind === 'dynamic-import' && (args.importer.endsWith('main.ts') || args.importer.endsWith('summary.ts')));
      return lazy ? { path: `${args.path}.js`, external: true } : undefined;
    });
  },
};

const configs = [
  {
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // vscode is provided by the host; native modules are never bundled.
    external: ['vscode', '*.node', 'onnxruntime-node', '@huggingface/transformers', 'sharp', '@ffmpeg-installer/*', '@ffprobe-installer/*'],
  },
  {
    ...common,
    entryPoints: ['src/webview/main.ts'],
    // Beside the stylesheet: webviews may load only from media/ and the frame cache.
    outfile: 'media/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
  {
    // The worker thread of two-halves indexing, used by both the extension host and the CLI.
    ...common,
    entryPoints: ['src/core/index/worker.ts'],
    outfile: 'dist/index-worker.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  // The CLI in three files, so that `st-think summary` reads and compiles only what it runs (zod is
  // three quarters of the rest): cli.js (dispatch, the summary), commands.js (the other commands,
  // imported when one runs), schemas.js (the zod schemas, loaded by normalize.ts on the first record
  // its fast checks are not sure of). Each may bundle core modules the others do too (kept apart,
  // the modules are pure; the CLI's errors are told apart by name, not by class).
  ...[
    ['src/cli/main.ts', 'dist/cli.js'],
    ['src/cli/commands.ts', 'dist/commands.js'],
    ['src/core/schemas.ts', 'dist/schemas.js'],
  ].map(([entry, outfile]) => ({
    ...common,
    entryPoints: [entry],
    outfile,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['*.node', 'onnxruntime-node', '@huggingface/transformers', 'sharp', '@ffmpeg-installer/*', '@ffprobe-installer/*'],
    plugins: [splitCli],
  })),
];

// uPlot's stylesheet as a file beside the webview's (the CSP allows no inline <style>): webviewPanel.ts links it.
copyFileSync('node_modules/uplot/dist/uPlot.min.css', 'media/uplot.css');

if (watch) {
  // Watch mode reports for an editor's problem matcher (.vscode/tasks.json): one "[watch] build started" when
  // a rebuild begins, one "[watch] build finished" when every bundle is done, and each message as
  // "✘ [ERROR] text" with "    file:line:column:" on the next line.
  let pending = 0;
  const report = {
    name: 'watch-report',
    setup(build) {
      build.onStart(() => {
        if (pending++ === 0) console.log('[watch] build started');
      });
      build.onEnd((result) => {
        for (const [mark, list] of [
          ['✘ [ERROR]', result.errors],
          ['▲ [WARNING]', result.warnings],
        ]) {
          for (const { text, location } of list) {
            console.error(`${mark} ${text}`);
            if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
          }
        }
        if (--pending === 0) console.log('[watch] build finished');
      });
    },
  };
  for (const c of configs) await (await esbuild.context({ ...c, logLevel: 'silent', plugins: [report] })).watch();
  console.log('watching…');
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
  chmodSync('dist/cli.js', 0o755);
}
