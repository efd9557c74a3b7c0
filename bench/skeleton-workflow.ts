import {
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { stageAttr } from '../contracts';

/**
 * The candidate workflow's skeleton for bench:e2e: the same messages, local activities, timers
 * and search-attribute upserts on the successful path, with no-op bodies: the registration
 * timer (re-armed when the round moves it) and the round-record check when it fires, the
 * verification deadline (a timer the decision cancels), the round's announcements and schedule
 * changes, the DRH deadline, and the career the appointment starts (its opening recorded, then
 * the wait for the end of probation). What the real workflow
 * costs beyond this is the cost of its rules and its PostgreSQL writes.
 */
const la = proxyLocalActivities<{
  noop: (what: string) => Promise<void>;
  /** As the real appoint: counted, and the career's workflow started from the activity. */
  appoint: (candidateWorkflowId: string) => Promise<void>;
}>({ startToCloseTimeout: '10 seconds' });

export const skSubmitDocuments = defineUpdate<string, [unknown]>('submitDocuments');
export const skVerify = defineUpdate<string, [unknown]>('verifyDocuments');
export const skDrh = defineUpdate<string, [unknown]>('submitDrh');
export const skSkd = defineSignal<[unknown]>('skdResult');
export const skSelection = defineSignal<[unknown]>('skbSelection');
export const skSkbScore = defineSignal<[unknown]>('skbScore');
export const skFinal = defineSignal<[unknown]>('finalResult');
export const skAnnounced = defineSignal<[unknown]>('roundAnnounced');
export const skScheduleChanged = defineSignal<[{ key: string; to: string }]>('scheduleChanged');
/** How many round messages (announcements, schedule changes) it has taken: the driver waits on it. */
export const skRoundMessages = defineQuery<number>('roundMessages');

export async function skeletonCandidate(input: {
  closesAtMs: number;
  verificationDueMs: number;
  drhDueMs: number;
}): Promise<string> {
  let docs = false;
  let verified = false;
  let drh = false;
  let skd = false;
  let selection = false;
  let skb = false;
  let final = false;
  let closesAtMs = input.closesAtMs;
  let closesMoved = false;
  let roundMessages = 0;
  const stage = (s: string): void => upsertSearchAttributes([{ key: stageAttr, value: s }]);
  setHandler(skSubmitDocuments, async () => {
    await la.noop('documents');
    docs = true;
    return 'ok';
  });
  setHandler(skVerify, async () => {
    await la.noop('verification');
    verified = true;
    return 'ok';
  });
  setHandler(skDrh, async () => {
    await la.noop('drh');
    drh = true;
    return 'ok';
  });
  setHandler(skSkd, () => void (skd = true));
  setHandler(skSelection, () => void (selection = true));
  setHandler(skSkbScore, () => void (skb = true));
  setHandler(skFinal, () => void (final = true));
  setHandler(skAnnounced, () => void (roundMessages += 1));
  setHandler(skScheduleChanged, ({ key, to }) => {
    roundMessages += 1;
    if (key !== 'registrationCloses') return;
    closesAtMs = Date.parse(to);
    closesMoved = true;
  });
  setHandler(skRoundMessages, () => roundMessages);
  const due = (ms: number): number => Math.max(ms - Date.now(), 1);

  // Registration closes at its instant, re-armed when the round moves it (an advance: now).
  for (;;) {
    closesMoved = false;
    if (!(await condition(() => closesMoved, due(closesAtMs)))) break;
  }
  await la.noop('roundDeadline'); // has the round moved it?
  if (!docs) return 'documents_missing';
  stage('verification');
  await la.noop('assignTask');
  if (!(await condition(() => verified, due(input.verificationDueMs)))) return 'reviewer_late';
  stage('awaiting_skd');
  await condition(() => skd);
  await la.noop('recordSkd');
  stage('awaiting_skb_selection');
  await condition(() => selection);
  await la.noop('recordSkbSelection');
  stage('awaiting_skb_score');
  await condition(() => skb);
  await la.noop('recordSkbScore');
  stage('awaiting_final');
  await condition(() => final);
  await la.noop('recordFinal');
  stage('appointment');
  if (!(await condition(() => drh, due(input.drhDueMs)))) return 'drh_missed';
  await la.appoint(workflowInfo().workflowId);
  stage('appointed');
  return 'appointed';
}

/** The career's skeleton: its opening recorded (a local activity), then a year's wait (a timer). */
export async function skeletonCareer(): Promise<void> {
  await la.noop('openCareer');
  await sleep('365 days');
}
