/**
 * Workflow ids, search attributes and the default task queue: the names every folder agrees on.
 * No personal data in any of them (issue 15): ids carry registration numbers, round ids and
 * opaque career ids only.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The task queue when TASK_QUEUE is not set (config/index.ts). */
export const DEFAULT_TASK_QUEUE = 'asn-recruitment';

export const roundIdAttr = defineSearchAttributeKey('RoundId', SearchAttributeType.KEYWORD);
export const formationIdAttr = defineSearchAttributeKey('FormationId', SearchAttributeType.KEYWORD);
export const stageAttr = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);

export const roundWorkflowId = (roundId: string): string => `round/${roundId}`;
export const candidateWorkflowId = (registrationNo: string): string => `candidate/${registrationNo}`;
/**
 * A career's workflow id: its opaque career id (chosen at the appointment, stored in
 * appointments/careers.career_id), never the NIP — a NIP spells the birth date and the sex.
 */
export const careerWorkflowId = (careerId: string): string => `career/${careerId}`;
