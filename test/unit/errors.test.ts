import { ServiceError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { toErrorResponse } from '../../api/errors';

describe('transient Temporal answers map to 503, never 500', () => {
  it('treats a dropped call and an Update whose speculative task failed as retryable', () => {
    const grpc = (code: number, details: string): Error => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: { getMap: () => ({}) } });
    const update = new ServiceError('Workflow Update failed: 9 FAILED_PRECONDITION: Unable to perform workflow execution update due to unexpected workflow task failure.', { cause: grpc(9, 'Unable to perform workflow execution update due to unexpected workflow task failure.') });
    const cancelled = new ServiceError('Failed to query Workflow: 1 CANCELLED: Call cancelled', { cause: grpc(1, 'Call cancelled') });
    expect(toErrorResponse(update).status).toBe(503);
    const failedTask = new ServiceError('Workflow Update failed: 9 FAILED_PRECONDITION: Unable to perform workflow execution update due to Workflow Task in failed state.', { cause: grpc(9, 'Unable to perform workflow execution update due to Workflow Task in failed state.') });
    expect(toErrorResponse(failedTask).status).toBe(503);
    expect(toErrorResponse(cancelled).status).toBe(503);
    expect(toErrorResponse(new Error('something else')).status).toBe(500);
  });
});
