#!/usr/bin/env node
// Packages the extension: one .vsix per platform, each carrying the model runtime for that platform only,
// plus the universal .vsix without it (the marketplace serves that one where no platform package exists).
//
//   node scripts/package.mjs [--target T ...] [--no-universal] [--no-build] [--keep]
//
// T: linux-x64, linux-arm64, darwin-arm64, darwin-x64, win32-x64 (default: all of them; a target whose
// runtime has no binary is reported and skipped, e.g. darwin-x64 with onnxruntime-node 1.30.0).
// Writes dist/st-think-inspector-<T>.vsix and dist/st-think-inspector.vsix (universal).
//
// Each target is staged in a temp folder: the files the repository's .vscodeignore lets through (the
// production bundles, media, samples, docs/images, package.json, README), and dist/node_modules with the
// runtime the re-run path loads: @huggingface/transformers (its Node build only; it bundles its tokenizer,
// chat-template and onnxruntime-web code), onnxruntime-node with that platform's binaries only,
// onnxruntime-common, and sharp with that platform's @img packages (fetched with `npm pack` from the npm
// registry when they are not the ones installed here). dist/extension.js and dist/commands.js resolve
// these from dist/node_modules; vsce leaves a top-level node_modules out under --no-dependencies, a nested
// one in. Every native file in the stage is checked (ELF / Mach-O / PE header) to be the target's own.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const modules = path.join(root, 'node_modules');
const ALL_TARGETS = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64', 'win32-x64'];
/** Bundled inside @huggingface/transformers' dist/transformers.node.cjs: never required at run time (checked below). */
const BUNDLED_IN_TRANSFORMERS = ['onnxruntime-web', '@huggingface/jinja', '@huggingface/tokenizers'];
const TRANSFORMERS_ENTRY = 'dist/transformers.node.cjs';
const VSCE_FLAGS = ['--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--skip-license'];

const log = (...a) => console.log('[package]', ...a);
const readJson = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function vsce(args, cwd) {
  const bin = path.join(modules, '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vsce ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The folder of package `name` as Node resolves it from `fromDir` (a package folder or the root). */
function resolvePackage(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === path.dirname(dir)) return undefined;
  }
}

/** A target's os and arch, and onnxruntime-node's name for them (`linux/x64`). */
function platformOf(target) {
  const [platform, arch] = target.split('-');
  return { platform, arch, key: `${platform}/${arch}` };
}

/** The @img packages sharp loads on `target` (its own binding, and libvips where that is a package of its own). */
function sharpPackagesFor(target, sharpDir) {
  const optional = readJson(path.join(sharpDir, 'package.json')).optionalDependencies ?? {};
  const names = [`@img/sharp-${target}`, `@img/sharp-libvips-${target}`];
  return names.filter((n) => optional[n]).map((name) => ({ name, version: optional[name] }));
}

/**
 * An @img package for another platform: from node_modules when the pinned version is installed, else `npm pack`
 * from the registry, its tarball checked against package-lock.json's integrity (the lock lists every platform's).
 */
function fetchPackage({ name, version }, cacheDir) {
  const local = path.join(modules, name);
  if (fs.existsSync(path.join(local, 'package.json')) && readJson(path.join(local, 'package.json')).version === version) return local;
  const dest = path.join(cacheDir, `${name.replace('/', '+')}@${version}`);
  if (!fs.existsSync(path.join(dest, 'package.json'))) {
    const out = execFileSync('npm', ['pack', '--silent', '--prefer-offline', `${name}@${version}`], { cwd: cacheDir, encoding: 'utf8' });
    const tgz = path.join(cacheDir, out.trim().split('\n').pop());
    const locked = readJson(path.join(root, 'package-lock.json')).packages?.[`node_modules/${name}`];
    const [algo, digest] = (locked?.integrity ?? '').split('-');
    if (locked?.version !== version || !digest) throw new Error(`${name}@${version} is not in package-lock.json`);
    const got = createHash(algo).update(fs.readFileSync(tgz)).digest('base64');
    if (got !== digest) throw new Error(`${name}@${version}: the tarball's ${algo} differs from package-lock.json's integrity`);
    fs.mkdirSync(dest, { recursive: true });
    execFileSync('tar', ['-xzf', tgz, '-C', dest, '--strip-components=1']);
    fs.rmSync(tgz);
  }
  return dest;
}

/** Files never needed at run time: types, sources, source maps. */
function prunedCommon(rel) {
  return /\.(map|d\.ts|d\.mts|d\.cts|tsbuildinfo)$/.test(rel) || (/\.ts$/.test(rel) && !/\.d\.ts$/.test(rel));
}

/**
 * Whether `rel` (a path inside package `name`) is shipped for `target`. The runtime's own packages keep only
 * what the re-run path loads; the other packages keep everything but types and sources.
 */
function keepFile(name, rel, target, { cudaInstaller }) {
  if (prunedCommon(rel)) return false;
  const { key } = platformOf(target);
  switch (name) {
    case '@huggingface/transformers':
      return rel === TRANSFORMERS_ENTRY || !rel.includes('/');
    case 'onnxruntime-node':
      if (rel.startsWith('bin/')) return rel.startsWith(`bin/napi-v6/${key}/`) && !isDuplicateDylib(name, rel);
      if (rel.startsWith('script/')) return cudaInstaller && /^script\/install[\w-]*\.js$/.test(rel);
      return !rel.startsWith('lib/');
    case 'onnxruntime-common':
      return !rel.startsWith('dist/esm/') && !rel.startsWith('lib/');
    case 'sharp':
      return !/\.mjs$/.test(rel) && !/^(src|install|lib)\//.test(rel);
    default:
      return true;
  }
}

/** macOS: libonnxruntime.1.30.0.dylib is a copy of libonnxruntime.1.dylib (the name the binding links, @rpath/libonnxruntime.1.dylib). */
function isDuplicateDylib(name, rel) {
  const m = /^(bin\/napi-v6\/darwin\/[^/]+)\/libonnxruntime\.\d+\.\d+\.\d+\.dylib$/.exec(rel);
  return !!m && fs.existsSync(path.join(modules, name, m[1], 'libonnxruntime.1.dylib'));
}

function listFiles(dir, prefix = '') {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') out.push(...listFiles(dir, rel));
    } else if (e.isFile() || e.isSymbolicLink()) out.push(rel);
  }
  return out;
}

function copyPackage(name, from, toModules, target, opts) {
  const dest = path.join(toModules, name);
  let bytes = 0;
  for (const rel of listFiles(from)) {
    if (!keepFile(name, rel, target, opts)) continue;
    const src = fs.realpathSync(path.join(from, rel));
    fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
    fs.copyFileSync(src, path.join(dest, rel));
    fs.chmodSync(path.join(dest, rel), fs.statSync(src).mode & 0o777);
    bytes += fs.statSync(src).size;
  }
  return bytes;
}

/** Checks that transformers' Node build requires none of the packages left out as bundled inside it. */
function checkTransformersEntry(dir) {
  const text = fs.readFileSync(path.join(dir, TRANSFORMERS_ENTRY), 'utf8');
  // Any call with the name as its argument: require(), import(), the createRequire() function it uses for onnxruntime-node.
  const required = new Set([...text.matchAll(/\(\s*["'`]((?:@[\w.-]+\/)?[\w.-]+)(?:\/[^"'`]*)?["'`]\s*\)/g)].map((m) => m[1]));
  if (!required.has('onnxruntime-node') || !required.has('sharp'))
    throw new Error(`${TRANSFORMERS_ENTRY}: no call names onnxruntime-node and sharp`);
  const bad = BUNDLED_IN_TRANSFORMERS.filter((n) => required.has(n));
  if (bad.length) throw new Error(`${TRANSFORMERS_ENTRY} requires ${bad.join(', ')}, which the package leaves out`);
}

/**
 * The runtime's packages for `target`, from @huggingface/transformers down its dependencies (and sharp's
 * optional @img packages for that platform): [{ name, dir }].
 */
function runtimePackages(target, cacheDir, { cudaInstaller }) {
  const out = new Map();
  const visit = (name, fromDir) => {
    if (BUNDLED_IN_TRANSFORMERS.includes(name)) return;
    const dir = resolvePackage(name, fromDir);
    if (!dir) throw new Error(`${name} is not installed (run npm ci)`);
    // dist/node_modules is flat: one copy of each package.
    if (out.has(name)) {
      if (out.get(name) !== dir) throw new Error(`${name} is installed twice (${out.get(name)}, ${dir}); the staged runtime is flat`);
      return;
    }
    out.set(name, dir);
    const pkg = readJson(path.join(dir, 'package.json'));
    let deps = Object.keys(pkg.dependencies ?? {});
    // onnxruntime-node's dependencies other than onnxruntime-common serve its CUDA installer only.
    if (name === 'onnxruntime-node' && !cudaInstaller) deps = deps.filter((d) => d === 'onnxruntime-common');
    for (const d of deps) visit(d, dir);
    if (name === 'sharp')
      for (const p of sharpPackagesFor(target, dir)) {
        const pdir = fetchPackage(p, cacheDir);
        out.set(p.name, pdir);
        for (const d of Object.keys(readJson(path.join(pdir, 'package.json')).dependencies ?? {})) visit(d, dir);
      }
  };
  visit('@huggingface/transformers', root);
  return [...out].map(([name, dir]) => ({ name, dir }));
}

/** The platform a native file is built for, from its header; undefined for other files. */
export function nativeFormat(file) {
  const fd = fs.openSync(file, 'r');
  const b = Buffer.alloc(4096);
  const n = fs.readSync(fd, b, 0, b.length, 0);
  fs.closeSync(fd);
  if (n >= 20 && b.readUInt32BE(0) === 0x7f454c46) {
    const machine = b.readUInt16LE(18);
    return { os: 'linux', arch: { 0x3e: 'x64', 0xb7: 'arm64', 0x28: 'arm' }[machine] ?? `elf-${machine}` };
  }
  if (n >= 8 && b.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = b.readUInt32LE(4);
    return { os: 'darwin', arch: { 0x01000007: 'x64', 0x0100000c: 'arm64' }[cpu] ?? `macho-${cpu}` };
  }
  if (n >= 8 && b.readUInt32BE(0) === 0xcafebabe) return { os: 'darwin', arch: 'universal' };
  if (n >= 64 && b.toString('latin1', 0, 2) === 'MZ') {
    const pe = b.readUInt32LE(60);
    if (pe + 6 <= n && b.toString('latin1', pe, pe + 4) === 'PE\0\0') {
      const machine = b.readUInt16LE(pe + 4);
      return { os: 'win32', arch: { 0x8664: 'x64', 0xaa64: 'arm64', 0x14c: 'ia32' }[machine] ?? `pe-${machine}` };
    }
  }
  return undefined;
}

/** Every native file under `dir`, with its platform; throws when one is not `target`'s. */
function checkNativeFiles(dir, target) {
  const found = [];
  for (const rel of listFilesDeep(dir)) {
    const f = nativeFormat(path.join(dir, rel));
    if (!f) continue;
    found.push(`${rel} (${f.os}-${f.arch})`);
    if (`${f.os}-${f.arch}` !== target) throw new Error(`${target}: ${rel} is a ${f.os}-${f.arch} binary`);
  }
  return found;
}

function listFilesDeep(dir, prefix = '') {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFilesDeep(dir, rel));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

/**
 * The extension's own files (what .vscodeignore lets through, as vsce lists them) copied into `stage`, package.json
 * without its build scripts.
 */
function stageExtension(stage) {
  const files = vsce(['ls', '--no-dependencies'], root)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const rel of files) {
    fs.mkdirSync(path.dirname(path.join(stage, rel)), { recursive: true });
    fs.copyFileSync(path.join(root, rel), path.join(stage, rel));
  }
  // vsce would run vscode:prepublish in the stage; the bundles are built already. The rest is for npm in a checkout.
  const pkg = readJson(path.join(root, 'package.json'));
  for (const k of ['scripts', 'devDependencies', 'allowScripts']) delete pkg[k];
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  fs.copyFileSync(path.join(root, '.vscodeignore'), path.join(stage, '.vscodeignore'));
  fs.appendFileSync(path.join(stage, '.vscodeignore'), '\n# The model runtime, staged by scripts/package.mjs.\n!dist/node_modules/**\n');
  return files.length;
}

/** Why `target` cannot carry a runtime (undefined when it can). */
function unsupported(target) {
  const { key } = platformOf(target);
  const bin = path.join(modules, 'onnxruntime-node', 'bin', 'napi-v6', key, 'onnxruntime_binding.node');
  const v = readJson(path.join(modules, 'onnxruntime-node', 'package.json')).version;
  return fs.existsSync(bin) ? undefined : `onnxruntime-node ${v} has no ${key} binary (bin/napi-v6/${key}/ is not in its package)`;
}

function packageTarget(target, { cacheDir, keep }) {
  const name = target ? `st-think-inspector-${target}.vsix` : 'st-think-inspector.vsix';
  const out = path.join(root, 'dist', name);
  // A failed run leaves no earlier package behind under the name.
  fs.rmSync(out, { force: true });
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), `st-think-vsix-${target ?? 'universal'}-`));
  try {
    const own = stageExtension(stage);
    let runtimeBytes = 0;
    let natives = [];
    if (target) {
      // Its installer and the installer's dependencies ship only where it fetches something (Linux x64: the CUDA provider).
      const opts = { cudaInstaller: onnxInstallRequirements(platformOf(target).key).length > 0 };
      const toModules = path.join(stage, 'dist', 'node_modules');
      const pkgs = runtimePackages(target, cacheDir, opts);
      checkTransformersEntry(pkgs.find((p) => p.name === '@huggingface/transformers').dir);
      for (const p of pkgs) runtimeBytes += copyPackage(p.name, p.dir, toModules, target, opts);
      natives = checkNativeFiles(stage, target);
      if (!natives.some((n) => n.includes('onnxruntime_binding.node')) || !natives.some((n) => /sharp-[^/]*\.node/.test(n)))
        throw new Error(`${target}: the stage lacks onnxruntime's or sharp's binding:\n${natives.join('\n')}`);
      log(`${target}: ${pkgs.length} runtime packages (${pkgs.map((p) => p.name).join(', ')}), ${mib(runtimeBytes)} unpacked`);
    } else if (checkNativeFiles(stage, 'none').length) throw new Error('the universal package holds native files');
    vsce(['package', ...(target ? ['--target', target] : []), ...VSCE_FLAGS, '-o', out], stage);
    const size = fs.statSync(out).size;
    log(`${name}: ${mib(size)} (${own} extension files${target ? `, runtime ${mib(runtimeBytes)} unpacked` : ', no runtime'})`);
    for (const n of natives) log(`  native: ${n}`);
    return { target: target ?? 'universal', file: path.relative(root, out), bytes: size, runtimeBytes };
  } finally {
    if (keep) log(`stage kept: ${stage}`);
    else fs.rmSync(stage, { recursive: true, force: true });
  }
}

/** onnxruntime-node's install metadata: which platforms its installer fetches extra files (the CUDA provider) for. */
function onnxInstallRequirements(key) {
  const metadata = createRequire(import.meta.url)(path.join(modules, 'onnxruntime-node', 'script', 'install-metadata.js'));
  return metadata.requirements?.[key] ?? [];
}

async function main() {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', multiple: true },
      'no-universal': { type: 'boolean' },
      'no-build': { type: 'boolean' },
      keep: { type: 'boolean' },
    },
  });
  const targets = values.target ?? ALL_TARGETS;
  for (const t of targets) if (!ALL_TARGETS.includes(t)) throw new Error(`unknown target ${t} (one of ${ALL_TARGETS.join(', ')})`);
  if (!values['no-build'])
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--production'], { stdio: 'inherit', cwd: root });
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-vsix-npm-'));
  const results = [];
  const skipped = [];
  try {
    for (const t of targets) {
      const why = unsupported(t);
      if (why) {
        skipped.push(`${t}: ${why}; the universal package serves it (no re-runs)`);
        log(`${t}: skipped: ${why}`);
        continue;
      }
      results.push(packageTarget(t, { cacheDir, keep: values.keep }));
    }
    if (!values['no-universal']) results.push(packageTarget(undefined, { cacheDir, keep: values.keep }));
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
  console.log('\n| package | size | runtime unpacked |\n|---|---|---|');
  for (const r of results) console.log(`| ${r.file} | ${mib(r.bytes)} | ${r.runtimeBytes ? mib(r.runtimeBytes) : '–'} |`);
  for (const s of skipped) console.log(`skipped ${s}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`[package] ${e.message}`);
    process.exit(1);
  });
}
