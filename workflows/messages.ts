/**
 * Every signal, update, query and search attribute of the workflows, in one place. The API and
 * the activities import these definitions; workflows import them too.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { RoundConfig, RoundSchedule } from '../domain';

export const TASK_QUEUE = 'asn-recruitment';

export const roundIdAttr = defineSearchAttributeKey('RoundId', SearchAttributeType.KEYWORD);
export const formationIdAttr = defineSearchAttributeKey('FormationId', SearchAttributeType.KEYWORD);
export const stageAttr = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);

export const roundWorkflowId = (roundId: string): string => `round/${roundId}`;
export const candidateWorkflowId = (registrationNo: string): string => `candidate/${registrationNo}`;
export const careerWorkflowId = (nip: string): string => `career/${nip}`;

// ---- recruitmentRound ----
export const ROUND_PHASES = [
  'draft',
  'consultation',
  'criteria_adoption',
  'registration',
  'administrative_check',
  'announcement',
  'skd',
  'skb',
  'final_announcement',
  'appointment',
  'closed',
] as const;
export type RoundPhase = (typeof ROUND_PHASES)[number];

export interface RoundInput {
  config: RoundConfig;
  createdBy: string;
}

export interface PhaseChange {
  phase: RoundPhase;
  at: string;
}

export interface DeadlineChange {
  key: keyof RoundSchedule;
  from: string;
  to: string;
  actor: string;
  reason: string;
  at: string;
}

export interface RoundState {
  roundId: string;
  name: string;
  agency: string;
  budgetYear: number;
  phase: RoundPhase;
  phases: PhaseChange[];
  schedule: RoundSchedule;
  deadlineChanges: DeadlineChange[];
  formations: { formationId: string; unit: string; jabatan: string; quota: number; category: string }[];
}

export interface ExtendDeadlineInput {
  key: keyof RoundSchedule;
  to: string;
  actor: string;
  reason: string;
}

export const roundStateQuery = defineQuery<RoundState>('roundState');
export const extendDeadlineUpdate = defineUpdate<RoundState, [ExtendDeadlineInput]>('extendDeadline');
export const cancelRoundSignal = defineSignal<[{ actor: string; reason: string }]>('cancelRound');
