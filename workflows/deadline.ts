import { condition } from '@temporalio/workflow';

/**
 * Waits until the instant `due()` — which HR may move later while the wait runs (and a simulation
 * round earlier, when its phase is advanced) — or until
 * `done()` holds. Returns true when `done()` held, false when the deadline was reached.
 *
 * Every branch is decided by what the history records (a timer fired, a message changed state),
 * never by comparing the workflow clock with the deadline. A worker SIGKILLed while a timer was
 * due showed why: the first activation after the timed-out sticky task ran live with the
 * previous task's time, while a later replay gave it the new task's time; a clock comparison took
 * one branch live and the other on replay (nondeterminism), and live it repeated the whole timer.
 * Here the clock only sets timers' lengths; when a timer fires, an extension made meanwhile is
 * waited out as the difference between the new and the planned instant (less if the task that
 * handles the firing ran late).
 */
export async function waitForDeadline(
  due: () => number,
  done: () => boolean = () => false,
  confirm?: () => Promise<number | undefined>,
): Promise<boolean> {
  let planned = due();
  let wait = Math.max(planned - Date.now(), 1);
  for (;;) {
    if (done()) return true;
    // An instant moved earlier (a simulation round's phase advanced, issue 20) re-plans the timer
    // at once; HR's extensions only move instants later, so histories before it never wake here.
    if (await condition(() => done() || due() < planned, wait)) {
      if (done()) return true;
      planned = due();
      wait = Math.max(planned - Date.now(), 1);
      continue;
    }
    let moved = due();
    // Reached with no later instant known here: `confirm` may ask the record (an activity, so
    // the answer is in the history) whether the deadline was moved and its notice is still on the way.
    if (!(moved > planned) && confirm) {
      const recorded = await confirm();
      if (done()) return true;
      moved = Math.max(due(), recorded ?? 0);
    }
    if (!(moved > planned)) return false;
    // The difference, or less when this task ran late (a crashed worker): the clock may only
    // shorten it, and only its length depends on the clock, never a branch.
    wait = Math.max(Math.min(moved - planned, moved - Date.now()), 1);
    planned = moved;
  }
}
