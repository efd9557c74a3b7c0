import { WorkflowNotFoundError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { AuditSigningKeys } from '../config/audit-signing';
import type { Db } from '../db/connection';

/**
 * What activities need. `faults` lets the fault-injection tests pause or crash a worker right
 * after a write and before the activity completes (the window where retries must not duplicate).
 */
export interface ActivityDeps {
  db: Db;
  /** For activities that signal other workflows (the round's batch notifications). */
  client?: Client;
  /** Candidates per page of a batch notification (default 500). */
  notifyPageSize?: number;
  faults?: { afterWrite?: (activity: string) => Promise<void> };
  /** The keys checkpoints are signed with (default: the configured ones, config/audit-signing.ts). */
  auditSigningKeys?: AuditSigningKeys;
}

/** A signal's target workflow has ended or never ran: the signal is skipped, not retried. */
export function workflowGone(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || /already completed|not found/i.test(String((err as Error)?.message));
}
