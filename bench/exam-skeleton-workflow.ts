import { allHandlersFinished, condition, defineUpdate, setHandler } from '@temporalio/workflow';

/**
 * bench:exam's baseline: a bare update loop of the exam session's shape (one update per batch,
 * answered with a revision, a timer that ends it), with no rules, no validation and no state
 * beyond a counter. What the real session costs beyond this is its validation and bookkeeping.
 */
export const skSave = defineUpdate<{ revision: number }, [unknown]>('saveAnswers');
export const skOpen = defineUpdate<{ opened: boolean }, [unknown]>('openExam');

export async function skeletonExam(input: { durationMs: number }): Promise<{ saves: number }> {
  let saves = 0;
  setHandler(skSave, () => ({ revision: ++saves }));
  setHandler(skOpen, () => ({ opened: true }));
  await condition(() => false, input.durationMs);
  await condition(allHandlersFinished);
  return { saves };
}
