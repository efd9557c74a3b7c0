import {
  QueryNotRegisteredError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, ServerFailure, WorkflowNotFoundError } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { toErrorResponse } from '../../api/errors';
import { classifyTemporalError, isWorkflowNotFound } from '../../config/temporal-errors';

describe('transient Temporal answers map to 503, never 500', () => {
  it('treats a dropped call and an Update whose speculative task failed as retryable', () => {
    const grpc = (code: number, details: string): Error =>
      Object.assign(new Error(`${code} ${details}`), { code, details, metadata: { getMap: () => ({}) } });
    const update = new ServiceError(
      'Workflow Update failed: 9 FAILED_PRECONDITION: Unable to perform workflow execution update due to unexpected workflow task failure.',
      { cause: grpc(9, 'Unable to perform workflow execution update due to unexpected workflow task failure.') },
    );
    const cancelled = new ServiceError('Failed to query Workflow: 1 CANCELLED: Call cancelled', {
      cause: grpc(1, 'Call cancelled'),
    });
    expect(toErrorResponse(update).status).toBe(503);
    const failedTask = new ServiceError(
      'Workflow Update failed: 9 FAILED_PRECONDITION: Unable to perform workflow execution update due to Workflow Task in failed state.',
      { cause: grpc(9, 'Unable to perform workflow execution update due to Workflow Task in failed state.') },
    );
    expect(toErrorResponse(failedTask).status).toBe(503);
    expect(toErrorResponse(cancelled).status).toBe(503);
    const failedQuery = new ServiceError('Failed to query Workflow', {
      cause: grpc(9, 'Unable to query workflow due to Workflow Task in failed state.'),
    });
    expect(toErrorResponse(failedQuery).status).toBe(503);
    const noWorker = new ServiceError('Failed to query Workflow', {
      cause: grpc(9, 'no poller seen for task queue recently, worker may be down'),
    });
    expect(toErrorResponse(noWorker).status).toBe(503);
    expect(toErrorResponse(new Error('something else')).status).toBe(500);
  });

  it('an Update the server refused unprocessed (its worker died) is retryable; one the workflow refused is not', () => {
    const unprocessed = new WorkflowUpdateFailedError(
      'Workflow Update failed',
      new ServerFailure(
        "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
        true,
      ),
    );
    expect(toErrorResponse(unprocessed)).toMatchObject({
      status: 503,
      body: { error: { code: 'TEMPORAL_UNAVAILABLE' } },
    });
    const refused = new WorkflowUpdateFailedError(
      'Workflow Update failed',
      ApplicationFailure.create({ type: 'DEADLINE_PASSED', message: 'Tenggat skdAt sudah lewat', nonRetryable: true }),
    );
    expect(toErrorResponse(refused)).toMatchObject({ status: 409, body: { error: { code: 'DEADLINE_PASSED' } } });
  });
});

describe('Temporal errors are classified by class and gRPC status, not by message text', () => {
  const grpc = (code: number, details: string): Error =>
    Object.assign(new Error(`${code} ${details}`), { code, details, metadata: { getMap: () => ({}) } });

  it('the status code decides, whatever the message says', () => {
    const reworded = new ServiceError('Failed to query Workflow', { cause: grpc(14, 'the server said something new') });
    expect(classifyTemporalError(reworded)).toEqual({ kind: 'unavailable', refusedUpdate: false });
    const misleading = new ServiceError('UNAVAILABLE not found already completed', {
      cause: grpc(3, 'INVALID_ARGUMENT'),
    });
    expect(classifyTemporalError(misleading)).toEqual({ kind: 'other' });
    expect(toErrorResponse(misleading).status).toBe(500);
  });

  it('a missing or finished workflow is not-found (404); a duplicate start already-started (409)', () => {
    const missing = new WorkflowNotFoundError('gone', 'candidate/202500000001', undefined);
    expect(isWorkflowNotFound(missing)).toBe(true);
    expect(toErrorResponse(missing)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(isWorkflowNotFound(new ServiceError('x', { cause: grpc(5, 'workflow execution already completed') }))).toBe(
      true,
    );
    expect(isWorkflowNotFound(new Error('workflow not found'))).toBe(false);
    const dup = new WorkflowExecutionAlreadyStartedError('started', 'round/r1', 'recruitmentRound');
    expect(classifyTemporalError(dup)).toEqual({ kind: 'already-started' });
    expect(toErrorResponse(dup).status).toBe(409);
  });

  it('an Update refused by the workflow carries its ApplicationFailure type; a timed-out Update call is transient', () => {
    const refused = new WorkflowUpdateFailedError(
      'Workflow Update failed',
      ApplicationFailure.create({ type: 'WRONG_PHASE', message: 'Bukan fasenya', nonRetryable: true }),
    );
    expect(classifyTemporalError(refused)).toEqual({
      kind: 'update-rejected',
      type: 'WRONG_PHASE',
      message: 'Bukan fasenya',
    });
    const timedOut = new WorkflowUpdateRPCTimeoutOrCancelledError('timeout', { cause: grpc(4, 'deadline') });
    expect(classifyTemporalError(timedOut).kind).toBe('unavailable');
    expect(classifyTemporalError(new QueryNotRegisteredError('no handler', 3))).toEqual({
      kind: 'query-not-registered',
    });
  });
});
