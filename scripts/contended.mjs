#!/usr/bin/env node
// The durability tests with both cores busy (issue 15, finding 5: a NIP sequence number burned
// when `.ci/run` ran on a busy machine). Starts a CPU hog — one busy child process per core the
// tests are meant to contend for (2 by default, --hogs N) — runs the durability test files under
// vitest, and stops the hog afterwards whatever happens: the children are killed on exit, on
// SIGINT/SIGTERM, and exit by themselves when this process is gone (their IPC channel closes).
//
//   npm run test:contended                 # candidate-durability + durability, 2 busy processes
//   npm run test:contended -- --hogs 3 test/workflows/appoint-overlap.test.ts
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_FILES = ['test/workflows/candidate-durability.test.ts', 'test/workflows/durability.test.ts'];

const args = process.argv.slice(2);
let hogCount = 2;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--hogs') hogCount = Number(args[++i]);
  else files.push(args[i]);
}
if (!Number.isInteger(hogCount) || hogCount < 0) {
  console.error('--hogs takes a whole number');
  process.exit(2);
}

// Busy for 50 ms at a time, then a turn of the event loop to notice a lost parent.
const HOG = `
const spin = () => {
  const end = Date.now() + 50;
  let x = 0;
  while (Date.now() < end) x = (x * 1103515245 + 12345) | 0;
  if (!process.connected) process.exit(0);
  setImmediate(spin);
};
process.on('disconnect', () => process.exit(0));
spin();
`;

const hogs = [];
const stopHogs = () => {
  for (const h of hogs) if (h.exitCode === null && h.signalCode === null) h.kill('SIGKILL');
};
process.on('exit', stopHogs);

let vitest;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stopHogs();
    if (vitest && vitest.exitCode === null) vitest.kill(signal);
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

for (let i = 0; i < hogCount; i++) {
  hogs.push(spawn(process.execPath, ['-e', HOG], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
}
console.log(
  `[contended] ${hogCount} busy processes (pids ${hogs.map((h) => h.pid).join(', ')}); vitest run ${(files.length ? files : DEFAULT_FILES).join(' ')}`,
);

const started = Date.now();
try {
  vitest = spawn(
    process.execPath,
    [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...(files.length ? files : DEFAULT_FILES)],
    { cwd: ROOT, stdio: 'inherit', env: process.env },
  );
  const code = await new Promise((resolve) => {
    vitest.once('error', (err) => {
      console.error(`[contended] vitest did not start: ${err.message}`);
      resolve(1);
    });
    vitest.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  const stillBusy = hogs.filter((h) => h.exitCode === null && h.signalCode === null).length;
  console.log(
    `[contended] vitest exit ${code} after ${Math.round((Date.now() - started) / 1000)} s; ${stillBusy} of ${hogCount} busy processes were still running to the end`,
  );
  // A hog that died early means the run was not contended: not a pass.
  process.exitCode = stillBusy < hogCount && code === 0 ? 1 : code;
  if (stillBusy < hogCount) console.error('[contended] a busy process stopped early: the tests did not run contended');
} finally {
  stopHogs();
}
