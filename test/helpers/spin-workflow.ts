import { condition, defineSignal, setHandler } from '@temporalio/workflow';

/** Test-only workflows for the deadlock timeout (test/workflows/workflow-thread.test.ts). */
export const spinSignal = defineSignal('spin');

/** Waits for `spin`, then never yields: the code the worker's deadlock timeout must stop. */
export async function spinner(): Promise<number> {
  let spin = false;
  setHandler(spinSignal, () => void (spin = true));
  await condition(() => spin);
  let n = 0;
  for (;;) n++;
  return n;
}

/** Answers at once: a workflow that must keep running beside the spinner. */
export async function echo(x: number): Promise<number> {
  await condition(() => true);
  return x + 1;
}
