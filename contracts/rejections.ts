/**
 * Stable codes of workflow update rejections (the ApplicationFailure type a validator throws), and
 * the HTTP status the API answers with. Shared by workflows and the API.
 */
export const REJECTION_STATUS = {
  WRONG_PHASE: 409,
  WRONG_STAGE: 409,
  ALREADY_DECIDED: 409,
  TASK_FINISHED: 409,
  NOT_ASSIGNED: 403,
  WINDOW_CLOSED: 409,
  ALREADY_APPEALED: 409,
  NOT_ELIGIBLE_FOR_SANGGAH: 409,
  INVALID_DECISION: 422,
  INVALID_DEADLINE: 422,
  DEADLINE_PASSED: 409,
  INVALID_EVALUATION: 422,
  DISTRIBUTION_RULE: 422,
  DOCUMENTS_INCOMPLETE: 422,
  INVALID_SANGGAH: 422,
  INVALID_DRH: 422,
  NOT_SIMULATION: 409,
  ANNOUNCED: 409,
  // The online exam session (contracts/exam.ts, issue 19).
  /** Before the candidate's slot opens, or after it closed without the session having started. */
  EXAM_NOT_OPEN: 409,
  /** The session has ended (submitted, timer, absent): nothing more is accepted. */
  EXAM_CLOSED: 409,
  /** Another device holds the session; open again with takeover: true to take it over. */
  DEVICE_CONFLICT: 409,
  /** This device was taken over by another one (or never opened the session). */
  DEVICE_LOCKED: 409,
  /** An item or option id the session does not have, or a malformed integrity event. */
  INVALID_ANSWER: 422,
} as const;
export type RejectionCode = keyof typeof REJECTION_STATUS;

import { ApplicationFailure } from '@temporalio/common';

/** For update validators: refuse with a stable code and a message for people. */
export function reject(code: RejectionCode, message: string): never {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true });
}
