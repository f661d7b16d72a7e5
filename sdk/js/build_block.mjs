#!/usr/bin/env node
// Builds a JavaScript blockforge block into a WebAssembly component with componentize-js.
//
//   node build_block.mjs block.js -o my_block.wasm [--wit DIR] [--force]
//   node build_block.mjs --toolchain-dir      (where the pinned toolchain is kept)
//   node build_block.mjs --install-toolchain  (installs it when missing, then prints that folder)
//
// The pinned toolchain (toolchain/package-lock.json: componentize-js and what it needs) is
// installed with `npm ci` into $BLOCKFORGE_TOOLCHAINS (default ~/.cache/blockforge/toolchains)
// the first time, in a folder named for the lock file's hash, so a changed lock file gets a
// fresh install. One install at a time: a second build waits for the first, and an install
// removes what a killed one left. Later builds reuse it, and a component newer than every
// source is not rebuilt while the sources are the same files (the sources include this
// script, node_version.mjs and the toolchain's manifest and lock file; the list of files
// is kept under the toolchains folder, so a file added, renamed or deleted rebuilds). Needs Node.js ^20.19.0 or >=22.12.0 (node_version.mjs). The build
// disables componentize-js's `http` and `fetch-event` features: they import `wasi:http`, which
// blockforge does not provide (a block reaches models through `llm`).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { nodeVersionProblem } from './node_version.mjs';

const SDK_DIR = dirname(fileURLToPath(import.meta.url));
const TOOLCHAIN = join(SDK_DIR, 'toolchain');
const COMPONENTIZE_JS = '0.23.0';
const WORLD = 'block';
// Where the build was started: file names in messages are relative to it.
const STARTED_IN = process.cwd();

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}

function toolchainsDir() {
  return process.env.BLOCKFORGE_TOOLCHAINS || join(homedir(), '.cache', 'blockforge', 'toolchains');
}

/**
 * The toolchain's folder: named for the pinned componentize-js and the hash of the manifest and
 * lock file it is installed from, so an edited lock file never reuses an older install.
 */
function toolchainDir() {
  const hash = createHash('sha256');
  for (const file of ['package.json', 'package-lock.json']) hash.update(readFileSync(join(TOOLCHAIN, file)));
  return join(toolchainsDir(), `componentize-js-${COMPONENTIZE_JS}-${hash.digest('hex').slice(0, 16)}`);
}

/** The toolchain folder, installed from the pinned lock file when missing. */
function toolchain() {
  const dir = toolchainDir();
  // Written last: a folder without it is an install that was interrupted, and is redone.
  const installed = join(dir, '.installed');
  if (existsSync(installed)) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  // Two builds installing at once (two `make`s, parallel tests): the second waits for the
  // first, then finds the toolchain installed.
  takeLock(`${dir}.lock`);
  if (existsSync(installed)) return dir;
  removeAbandonedInstalls(dir);
  console.error(`installing componentize-js ${COMPONENTIZE_JS} into ${dir} (once)`);
  const staging = `${dir}${PARTIAL}${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(TOOLCHAIN, file), join(staging, file));
  // npm's output goes to stderr: `--install-toolchain` prints only the folder on stdout.
  const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: staging, stdio: ['ignore', 2, 2] });
  if (npm.status !== 0) fail(`npm ci of the JavaScript toolchain failed in ${staging}`);
  writeFileSync(join(staging, '.installed'), COMPONENTIZE_JS);
  // The lock is what keeps installs apart, but correctness never rests on it: each install
  // stages in a folder of its own, and should two ever run at once the first rename wins and
  // the other's copy is dropped.
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(installed)) fail(`cannot install the toolchain into ${dir}`);
  }
  return dir;
}

/** The suffix of an install's staging folder, before the installing process's id. */
const PARTIAL = '.partial-';

/** Blocks the thread for `ms` milliseconds (the build has nothing else to do meanwhile). */
function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether process `pid` of this machine is running. */
function isRunning(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: running, under another user.
    return error.code === 'EPERM';
  }
}

/**
 * Takes the lock file `lock`, which holds the id of the process holding it. It is made by
 * linking a complete file to its name, which fails when the name exists, so it is created by
 * one process only and never read half written. Waits while a running process holds it; a
 * lock whose process is gone (an install killed midway) is taken over. Released when this
 * process exits.
 */
function takeLock(lock) {
  const mine = `${lock}.${process.pid}`;
  writeFileSync(mine, String(process.pid));
  let toldHolder;
  try {
    for (;;) {
      try {
        linkSync(mine, lock);
        process.on('exit', () => {
          if (readLockHolder(lock) === process.pid) rmSync(lock, { force: true });
        });
        return;
      } catch (error) {
        if (error.code !== 'EEXIST') fail(`cannot create the lock file ${lock}: ${error.message}`);
      }
      const holder = readLockHolder(lock);
      if (holder === undefined) continue; // released meanwhile
      // Stale: its process is gone, or its id is ours (a build killed by a signal leaves its
      // lock, and a container restarted with the same cache may give us that id), or it is
      // older than any install takes.
      if (holder === process.pid || !isRunning(holder) || lockAgeMs(lock) > STALE_LOCK_MS) {
        rmSync(lock, { force: true });
        continue;
      }
      if (toldHolder !== holder) {
        console.error(`waiting for process ${holder}, which is installing the JavaScript toolchain (${lock})`);
        toldHolder = holder;
      }
      sleep(200);
    }
  } finally {
    rmSync(mine, { force: true });
  }
}

/** A lock held longer than this is taken over: no toolchain install takes half an hour. */
const STALE_LOCK_MS = 30 * 60 * 1000;

/** How long ago the lock file `lock` was made (0 when it is gone). */
function lockAgeMs(lock) {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return 0;
  }
}

/** The process id in the lock file `lock`; `undefined` when there is no lock file. */
function readLockHolder(lock) {
  try {
    return Number.parseInt(readFileSync(lock, 'utf8'), 10);
  } catch {
    return undefined;
  }
}

/**
 * Removes the staging folders of installs of `dir` whose process is gone (killed midway): they
 * hold a half-installed `node_modules` that nothing would ever use.
 */
function removeAbandonedInstalls(dir) {
  const prefix = `${basename(dir)}${PARTIAL}`;
  for (const entry of readdirSync(dirname(dir))) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length));
    if (pid !== process.pid && !isRunning(pid)) rmSync(join(dirname(dir), entry), { recursive: true, force: true });
  }
}

function defaultWit() {
  for (const candidate of [join(SDK_DIR, '..', '..', 'wit', 'since_v0.1.0'), join(SDK_DIR, '..', 'wit', 'since_v0.1.0')]) {
    if (existsSync(candidate)) return candidate;
  }
  fail('cannot find wit/since_v0.1.0 beside the SDK; pass --wit DIR');
}

/**
 * The files under `path` with their modification times, leaving out `node_modules`,
 * components (`.wasm`) and the paths in `skip` (the component being written and its partial
 * file), added to `files`. Folders' own times are left out: writing the component into the
 * block's own folder changes that folder's time, which would make the block look changed on
 * every build.
 */
function inputFiles(path, skip, files) {
  const stat = statSync(path);
  if (!stat.isDirectory()) {
    files.push([path, stat.mtimeMs]);
    return files;
  }
  for (const entry of readdirSync(path)) {
    const child = join(path, entry);
    if (entry === 'node_modules' || entry.endsWith('.wasm') || skip.has(child)) continue;
    inputFiles(child, skip, files);
  }
  return files;
}

/**
 * Where the list of input files of the component `out` was kept at its last build: a file
 * deleted or renamed (`mv` keeps its time) changes the list, not the newest time.
 */
function keptInputList(out) {
  const name = createHash('sha256').update(out).digest('hex').slice(0, 32);
  return join(toolchainsDir(), 'js-builds', `${name}.inputs`);
}

/** The input files' names, one text to compare with the kept one. */
function inputList(files) {
  return files.map(([path]) => path).sort().join('\n');
}

function commonAncestor(a, b) {
  const left = resolve(a).split(sep);
  const right = resolve(b).split(sep);
  let shared = 0;
  while (shared < left.length && shared < right.length && left[shared] === right[shared]) shared += 1;
  return left.slice(0, shared).join(sep) || sep;
}

/**
 * componentize-js says only how many parse errors it met: Node's own parser names the file,
 * the line and the token. Each JavaScript source is checked as a module (Node 20 does not
 * check a `.js` file with `import` as one unless told so).
 */
function syntaxErrors(files) {
  for (const file of files.filter((f) => /\.m?js$/.test(f))) {
    const checked = spawnSync(process.execPath, ['--input-type=module', '--check'], { input: readFileSync(file), encoding: 'utf8' });
    if (checked.status !== 0) {
      const report = checked.stderr.split('\n    at ')[0].replaceAll('[stdin]', relative(STARTED_IN, file)).trimEnd();
      return `\n${report}`;
    }
  }
  return '';
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', short: 'o' },
    wit: { type: 'string' },
    force: { type: 'boolean' },
    'toolchain-dir': { type: 'boolean' },
    'install-toolchain': { type: 'boolean' },
  },
});
if (values['toolchain-dir']) {
  console.log(toolchainDir());
  process.exit(0);
}
if (values['install-toolchain']) {
  console.log(toolchain());
  process.exit(0);
}
const nodeProblem = nodeVersionProblem(process.versions.node);
if (nodeProblem) fail(nodeProblem);
if (positionals.length !== 1 || !values.out) fail('usage: node build_block.mjs block.js -o block.wasm [--wit DIR] [--force]');
const source = resolve(positionals[0]);
if (!existsSync(source)) fail(`${positionals[0]} does not exist`);
const out = resolve(values.out);
const wit = resolve(values.wit ?? defaultWit());
const inputs = [
  dirname(source),
  join(SDK_DIR, 'blockforge.js'),
  join(SDK_DIR, 'node_version.mjs'),
  join(TOOLCHAIN, 'package.json'),
  join(TOOLCHAIN, 'package-lock.json'),
  wit,
  fileURLToPath(import.meta.url),
];
const partial = `${out}.partial`;
const outputs = new Set([out, partial]);
const files = inputs.flatMap((input) => inputFiles(input, outputs, []));
const listed = inputList(files);
const kept = keptInputList(out);
const sameFiles = existsSync(kept) && readFileSync(kept, 'utf8') === listed;
if (!values.force && sameFiles && existsSync(out) && statSync(out).mtimeMs >= Math.max(...files.map(([, mtime]) => mtime))) {
  console.error(`${values.out} is up to date`);
  process.exit(0);
}
const entry = join(toolchain(), 'node_modules', '@bytecodealliance', 'componentize-js', 'src', 'componentize.js');
const { componentize } = await import(pathToFileURL(entry).href);
// componentize-js shows the block's modules the folder it is run from (when the source is
// below it): run it from the nearest folder holding both the block and this SDK, so the
// block's relative import of blockforge.js resolves.
const root = commonAncestor(dirname(source), SDK_DIR);
if (root === sep) {
  fail(`${positionals[0]} and the SDK (${SDK_DIR}) share no folder but ${sep}, which componentize-js cannot use as the module root: copy the SDK beside the block (as \`blockforge new-block\` does) or move the block under a folder holding both`);
}
process.chdir(root);
let component;
try {
  ({ component } = await componentize({
    sourcePath: source,
    witPath: wit,
    worldName: WORLD,
    disableFeatures: ['http', 'fetch-event'],
  }));
} catch (error) {
  const message = String(error.message ?? error);
  let hint = '';
  if (message.includes('does not export a "guest"')) {
    hint = '\nhint: export the block as `export const guest = defineBlock({...})`';
  } else if (message.includes('failed to parse JS source')) {
    hint = syntaxErrors(files.map(([file]) => file));
  }
  fail(`componentize-js failed building ${positionals[0]}: ${message}${hint}`);
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(partial, component);
renameSync(partial, out);
// Kept after the component: an interrupted build leaves no list, so the next one is real.
mkdirSync(dirname(kept), { recursive: true });
writeFileSync(`${kept}.partial-${process.pid}`, listed);
renameSync(`${kept}.partial-${process.pid}`, kept);
console.error(`built ${values.out}`);
