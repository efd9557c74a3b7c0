import { allHandlersFinished, condition, proxyLocalActivities } from '@temporalio/workflow';
import type { AuditActivities } from '../../activities/audit';
import type { CareerActivities } from '../../activities/career';
import { ctxOf, iso, type CareerState } from './state';

export const db = proxyLocalActivities<CareerActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** The signed checkpoint of the career's audit chain goes into the history: a (recorded) activity. */
const audit = proxyLocalActivities<AuditActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * An event of the career: into the status at once (before the first `await`, so the query and the
 * validators see it), then into the database and the career's audit chain.
 */
export async function note(
  st: CareerState,
  kind: string,
  who: string,
  why?: string,
  detail: Record<string, unknown> = {},
): Promise<void> {
  st.s.events.push({ what: kind, who, when: iso(), ...(why ? { why } : {}) });
  st.seq += 1;
  await db.recordCareerEvent({ ...ctxOf(st), seq: st.seq, kind, actor: who, reason: why ?? null, detail, at: iso() });
}

/** The chain's head, signed, into this history: at the probation decision, at each year's end and at the end. */
export async function anchor(st: CareerState): Promise<void> {
  await audit.anchorAuditHead({ scope: 'career', id: st.input.nip });
}

/** Every message handler has finished its writes (the one mechanism between handlers and the steps). */
export const settle = (): Promise<void> => condition(allHandlersFinished);

/**
 * Waits until `done()` or the deadline `ms`, then until the handlers in flight have finished, and
 * answers `done()`: what the step decides at that deadline. No timer when already done.
 */
export async function waitUntil(ms: number, done: () => boolean): Promise<boolean> {
  if (!done()) await condition(done, Math.max(ms - Date.now(), 1));
  await settle();
  return done();
}

/** Waits (without a deadline) for `done()` and for the handlers in flight. */
export async function waitFor(done: () => boolean): Promise<void> {
  await condition(done);
  await settle();
}
