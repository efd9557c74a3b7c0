import { sleep } from '@temporalio/workflow';

/** The replay baseline: no logic, only timers, sized to match a real history's event count. */
export async function trivial(timers: number): Promise<number> {
  for (let i = 0; i < timers; i++) await sleep(1);
  return timers;
}
