import { ServiceError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, ServerFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { toErrorResponse } from '../../api/errors';

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
