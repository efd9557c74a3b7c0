import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { RoundActivities } from '../../activities/round';
import type { RoundOpsActivities } from '../../activities/round-ops';
import type { AuditActivities } from '../../activities/audit';

/** The round's records in PostgreSQL (short, idempotent writes). */
export const db = proxyActivities<RoundActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: ['RoundConflict'] },
});

/** Fan-outs to the candidates and rankings: long, heartbeating, resumable. */
export const ops = proxyActivities<RoundOpsActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['MISCONFIGURED'] },
});

/** Reads and signed anchors through local activities: one marker each in the history. */
export const local = proxyLocalActivities<Pick<RoundActivities, 'openDecisions' | 'appealable'> & AuditActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});
