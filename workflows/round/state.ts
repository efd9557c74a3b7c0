import { type RoundConfig, type RoundSchedule } from '../../domain';
import type {
  AdoptCriteriaInput,
  AnnouncementKind,
  DeadlineChange,
  JobRecord,
  PhaseChange,
  RoundHold,
  RoundInput,
  RoundJob,
  RoundPhase,
  RoundState,
} from '../../contracts';

/**
 * Everything one round holds. The schedule has one copy here, `config.schedule`: the workflow's
 * mirror of the round's record (rounds.config.schedule in PostgreSQL, the authoritative copy,
 * written by recordDeadlineChange before a change is announced to anyone).
 */
export interface Round {
  config: RoundConfig;
  phase: RoundPhase;
  phases: PhaseChange[];
  deadlineChanges: DeadlineChange[];
  criteriaVersion: number;
  criteriaAdopted: boolean;
  jobs: JobRecord[];
  /** Jobs waiting for the job runner, with the phase key the candidates de-duplicate by. */
  queue: { record: JobRecord; phaseKey: string }[];
  cancelled?: { actor: string; reason: string };
  held: RoundHold | null;
  /** When each announcement went out (the instant sent to the candidates). */
  announced: Partial<Record<AnnouncementKind, string>>;
  /** Deadline writes, one after the other (the record's order is the acceptance order). */
  deadlineWrites: Promise<unknown>;
  /** The phase start the main routine is waiting for, and the one HR advanced (simulation rounds, issue 20). */
  waiting?: { phase: RoundPhase; at: keyof RoundSchedule };
  advanced?: RoundPhase;
  /** The last phase recorded in PostgreSQL. */
  recorded?: RoundPhase;
  finished: boolean;
}

export function newRound(input: RoundInput): Round {
  return {
    config: { ...input.config, schedule: { ...input.config.schedule } },
    phase: 'draft',
    phases: [],
    deadlineChanges: [],
    criteriaVersion: 1,
    criteriaAdopted: false,
    jobs: [],
    queue: [],
    held: null,
    announced: {},
    deadlineWrites: Promise.resolve(),
    finished: false,
  };
}

export function stateOf(r: Round): RoundState {
  return {
    roundId: r.config.roundId,
    name: r.config.name,
    agency: r.config.agency,
    budgetYear: r.config.budgetYear,
    phase: r.phase,
    phases: r.phases,
    schedule: r.config.schedule,
    deadlineChanges: r.deadlineChanges,
    formations: r.config.formations.map((f) => ({
      formationId: f.formationId,
      unit: f.unit,
      jabatan: f.jabatan,
      quota: f.quota,
      category: f.category,
    })),
    criteriaVersion: r.criteriaVersion,
    criteriaAdopted: r.criteriaAdopted,
    jobs: r.jobs,
    held: r.held,
  };
}

/** When each phase begins. `appointment` begins with the final announcement's aftermath. */
export const PHASE_STARTS: { phase: RoundPhase; at: keyof RoundSchedule }[] = [
  { phase: 'consultation', at: 'consultationOpens' },
  { phase: 'criteria_adoption', at: 'consultationCloses' },
  { phase: 'registration', at: 'registrationOpens' },
  { phase: 'administrative_check', at: 'registrationCloses' },
  { phase: 'announcement', at: 'announcementAt' },
  { phase: 'skd', at: 'skdAt' },
  { phase: 'skb', at: 'skbAt' },
  { phase: 'final_announcement', at: 'finalAnnouncementAt' },
  { phase: 'closed', at: 'drhDeadline' },
];

export const nowIso = (): string => new Date(Date.now()).toISOString();
/** One day of the day-counted windows: 24 h, or the simulation round's day. */
export const dayMs = (r: Round): number => r.config.simulation?.dayMs ?? 86_400_000;

/** The phase key of a job before de-duplication (a second job of the same kind gets `-2`, …). */
export function keyBase(j: RoundJob): string {
  switch (j.kind) {
    case 'import':
      return j.correction ? `${j.exam}-correction-${j.importId}` : j.exam;
    case 'rank':
      return j.ranking === 'skb_selection' ? 'skb-selection' : 'final';
    case 'schedule':
      return `schedule-${j.seq}`;
    case 'announcement':
      return `announce-${j.announcement}`;
  }
}

/** Queues a job for the job runner; its record is what the update answers. */
export function enqueue(r: Round, job: RoundJob, requestedAt: string = nowIso()): JobRecord {
  const base = keyBase(job);
  const n = r.jobs.filter((j) => keyBase(j.job) === base).length;
  const record: JobRecord = { job, requestedAt, finishedAt: null, signalled: null, skipped: null };
  r.jobs.push(record);
  r.queue.push({ record, phaseKey: n === 0 ? base : `${base}-${n + 1}` });
  return record;
}

export const phaseIn = (r: Round, ...allowed: RoundPhase[]): boolean => allowed.includes(r.phase);
export const doneJob = (r: Round, pred: (j: RoundJob) => boolean): boolean =>
  r.jobs.some((j) => j.finishedAt !== null && pred(j.job));

/** The configuration with the adopted criteria of each formation named. */
export function withCriteria(config: RoundConfig, req: AdoptCriteriaInput): RoundConfig {
  const byId = new Map(req.formations.map((f) => [f.formationId, f.scoring]));
  return {
    ...config,
    formations: config.formations.map((f) =>
      byId.has(f.formationId) ? { ...f, scoring: byId.get(f.formationId)! } : f,
    ),
  };
}
