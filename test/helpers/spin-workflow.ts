import { condition, defineSignal, setHandler } from '@temporalio/workflow';

/** Test-only workflows for the deadlock timeout (test/workflows/workflow-thread.test.ts). */
export const spinSignal = defineSignal('spin');

/** Waits for `spin`, then never yields: the code the worker's deadlock timeout must stop. */
export async function spinner(): Promise<never> {
  let spin = false;
  setHandler(spinSignal, () => void (spin = true));
  await condition(() => spin);
  // eslint-disable-next-line no-empty -- the loop that never yields is the point
  for (;;) {}
}

/** Answers at once: shows the worker runs workflows before the spinner stops it. */
export async function echo(x: number): Promise<number> {
  return x + 1;
}
