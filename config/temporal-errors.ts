import {
  isGrpcServiceError,
  QueryNotRegisteredError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, ServerFailure, WorkflowNotFoundError } from '@temporalio/common';

/**
 * What a Temporal client call's error means, told by the SDK's error classes and gRPC status codes
 * (never by message text, which the server may reword). One place for the API, the CLI and activities.
 */
export type TemporalErrorKind =
  /** No such workflow, or it has already closed (an Update or signal to a finished run: gRPC NOT_FOUND). */
  | { kind: 'not-found' }
  /** A workflow with that id exists (REJECT_DUPLICATE). */
  | { kind: 'already-started' }
  /** The workflow refused an Update: the handler's ApplicationFailure type (a rejection code) and message. */
  | { kind: 'update-rejected'; type: string; message: string }
  /** The query handler is not there (yet): the workflow has not run its first task. */
  | { kind: 'query-not-registered' }
  /**
   * Nothing was applied and a retry may succeed: server or worker unreachable, busy or restarting.
   * `refusedUpdate`: the server answered, refusing an Update no worker processed.
   */
  | { kind: 'unavailable'; refusedUpdate: boolean }
  | { kind: 'other' };

/** gRPC status codes (@grpc/grpc-js `status`). */
const GRPC = { CANCELLED: 1, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, FAILED_PRECONDITION: 9, UNAVAILABLE: 14 } as const;

/**
 * Transient gRPC answers: UNAVAILABLE and DEADLINE_EXCEEDED (server down or slow), CANCELLED (the
 * channel dropped the call while the server restarted), FAILED_PRECONDITION (WorkflowNotReady: an
 * Update or query could not run because the workflow task is failing or being retried; or "no poller
 * seen for task queue recently": no worker is running right now).
 */
const TRANSIENT_GRPC: ReadonlySet<number> = new Set([
  GRPC.UNAVAILABLE,
  GRPC.DEADLINE_EXCEEDED,
  GRPC.CANCELLED,
  GRPC.FAILED_PRECONDITION,
]);

/** The gRPC status code of the error or of the first error in its cause chain that has one. */
export function grpcCode(err: unknown): number | undefined {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++)
    if (isGrpcServiceError(e)) return e.code;
  return undefined;
}

export function isWorkflowNotFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || grpcCode(err) === GRPC.NOT_FOUND;
}

export function isWorkflowAlreadyStarted(err: unknown): boolean {
  return err instanceof WorkflowExecutionAlreadyStartedError;
}

/** The Update was refused, by the workflow's validator or handler or by the server: nothing was applied. */
export function isUpdateRefused(err: unknown): boolean {
  return err instanceof WorkflowUpdateFailedError;
}

export function isTemporalUnavailable(err: unknown): boolean {
  // The server refused an Update it could not hand to a worker ("rejected because it wasn't processed
  // by worker": the worker died holding it). Nothing was applied.
  if (err instanceof WorkflowUpdateFailedError) return err.cause instanceof ServerFailure;
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  const code = grpcCode(err);
  return code !== undefined && TRANSIENT_GRPC.has(code);
}

export function classifyTemporalError(err: unknown): TemporalErrorKind {
  if (isWorkflowAlreadyStarted(err)) return { kind: 'already-started' };
  if (err instanceof QueryNotRegisteredError) return { kind: 'query-not-registered' };
  if (isTemporalUnavailable(err))
    return { kind: 'unavailable', refusedUpdate: err instanceof WorkflowUpdateFailedError };
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    const type = cause instanceof ApplicationFailure ? (cause.type ?? 'REJECTED') : 'REJECTED';
    return { kind: 'update-rejected', type, message: cause?.message ?? err.message };
  }
  if (isWorkflowNotFound(err)) return { kind: 'not-found' };
  return { kind: 'other' };
}
