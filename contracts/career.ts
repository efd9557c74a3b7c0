import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { IsoDate, LadderStep, Predikat, Rating } from '../domain';

export interface CareerSummary {
  /** The calendar year this run covers (probation runs use the TMT year). */
  year: number;
  status: 'cpns' | 'pns';
  recentPredikat: { year: number; predikat: Predikat }[];
  ladderPosition: LadderStep | null;
  /** A poor predikat asks for a re-evaluation six months later. */
  reEvaluationDue: string | null;
}

export interface CareerInput {
  nip: string;
  registrationNo: string;
  roundId: string;
  unit: string;
  jabatan: string;
  birthDate: IsoDate;
  tmt: IsoDate;
  supervisor: string;
  unitHead: string;
  retirementAge: number;
  checkInsPerYear: number;
  summary: CareerSummary;
}

export type CareerStage =
  | 'probation'
  | 'probation_decision'
  | 'planning'
  | 'execution'
  | 'evaluation'
  | 'awaiting_unit'
  | 'returned'
  | 'follow_up'
  | 're_evaluation'
  | 'pre_retirement'
  | 'retired'
  | 'dismissed';

export interface CareerEvent {
  what: string;
  who: string;
  when: string;
  why?: string;
}

export interface CareerStatus {
  nip: string;
  year: number;
  stage: CareerStage;
  status: 'cpns' | 'pns';
  supervisor: string;
  unitHead: string;
  escalatedTo: string | null;
  probation: { latsar: boolean | null; healthy: boolean | null; endsAt: string } | null;
  expectations: string[] | null;
  /** The check-in periods of the year (1 … checkInsPerYear), each recorded once. */
  checkInsPerYear: number;
  checkIns: number[];
  predikat: Predikat | null;
  ladderPosition: LadderStep | null;
  pendingRecommendation: LadderStep | null;
  events: CareerEvent[];
}

export const careerStatusQuery = defineQuery<CareerStatus>('careerStatus');
export const recordLatsarUpdate = defineUpdate<CareerStatus, [{ actor: string; passed: boolean }]>('recordLatsar');
export const recordHealthUpdate = defineUpdate<CareerStatus, [{ actor: string; healthy: boolean }]>('recordHealth');
export const extendProbationUpdate = defineUpdate<CareerStatus, [{ actor: string; months: number; reason: string }]>(
  'extendProbation',
);
export const decideProbationUpdate = defineUpdate<
  CareerStatus,
  [{ official: string; appoint: boolean; reason: string }]
>('decideProbation');
export const setExpectationsUpdate = defineUpdate<CareerStatus, [{ supervisor: string; expectations: string[] }]>(
  'setExpectations',
);
export const checkInUpdate = defineUpdate<CareerStatus, [{ supervisor: string; period: number; notes: string }]>(
  'checkIn',
);
export const evaluateUpdate = defineUpdate<CareerStatus, [{ evaluator: string; hasilKerja: Rating; perilaku: Rating }]>(
  'evaluate',
);
export const decideRecommendationUpdate = defineUpdate<
  CareerStatus,
  [{ official: string; approved: boolean; reason: string }]
>('decideRecommendation');
export const assignSupervisorUpdate = defineUpdate<
  CareerStatus,
  [
    {
      actor: string;
      supervisor: string;
      unitHead: string;
      /** why (required by the API; absent in updates sent before it was) */ reason?: string;
    },
  ]
>('assignSupervisor');
export const unitSetDecidedSignal =
  defineSignal<[{ year: number; attempt: number; accepted: boolean; reason: string | null }]>('unitSetDecided');
