import { describe, expect, it } from 'vitest';
import { workerCacheOptions } from '../../config';

describe('the worker options read from the environment (config/index.ts)', () => {
  it('leaves the SDK defaults when nothing is set', () => {
    expect(workerCacheOptions({})).toEqual({});
  });

  it('reads the cache size and the sticky timeout', () => {
    expect(workerCacheOptions({ WORKER_MAX_CACHED_WORKFLOWS: '20100', WORKER_STICKY_TIMEOUT_S: '600' })).toEqual({
      maxCachedWorkflows: 20100,
      stickyQueueScheduleToStartTimeout: '600s',
    });
  });

  it('refuses a sticky timeout that is not a positive whole number of seconds', () => {
    for (const bad of ['0', '-5', '1.5', '10s'])
      expect(() => workerCacheOptions({ WORKER_STICKY_TIMEOUT_S: bad })).toThrow(
        /WORKER_STICKY_TIMEOUT_S must be a positive integer/,
      );
  });
});
