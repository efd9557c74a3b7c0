import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ExamActivities } from '../../activities/exam';
import {
  EXAM_BATCH_MAX,
  EXAM_INTEGRITY_KEPT,
  INTEGRITY_KINDS,
  reject,
  type ExamSessionInput,
  type ExamSessionState,
  type IntegrityEventInput,
  type SaveAck,
  type SaveAnswersInput,
} from '../../contracts';
import { examLayout } from '../../domain';

export const acts = proxyActivities<ExamActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * The proctor's copy of the start (one idempotent row update) runs beside the workflow task: at a
 * slot's opening every candidate starts at once, and a scheduled activity would add a task, a
 * round trip and three events to each session just as its first answers arrive.
 */
export const local = proxyLocalActivities<Pick<ExamActivities, 'examSessionStarted'>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export const iso = (ms: number = Date.now()): string => new Date(ms).toISOString();

/**
 * Everything one session's workflow knows: its input, the state its query answers, each item's
 * options (to check answers against) and whether the candidate submitted. Handlers change it
 * before any await; the steps read it.
 */
export interface ExamRun {
  input: ExamSessionInput;
  s: ExamSessionState;
  options: Map<string, Set<string>>;
  submitted: boolean;
}

function initialState(input: ExamSessionInput): ExamSessionState {
  return {
    sessionId: input.sessionId,
    roundId: input.roundId,
    registrationNo: input.registrationNo,
    status: 'waiting',
    endedBy: null,
    slot: input.slot,
    durationMs: input.durationMs,
    startedAt: null,
    deadline: null,
    endedAt: null,
    device: null,
    takeovers: 0,
    revision: 0,
    answers: {},
    flags: [],
    layout: examLayout(input.seed, input.items),
    integrity: [],
    integrityDropped: 0,
    result: null,
    bankId: input.bankId,
    bankVersions: input.bankVersions,
  };
}

export function newRun(input: ExamSessionInput): ExamRun {
  return {
    input,
    s: initialState(input),
    options: new Map(input.items.map((i) => [i.itemId, new Set(i.options)])),
    submitted: false,
  };
}

export const ended = (r: ExamRun): boolean => r.s.status !== 'waiting' && r.s.status !== 'in_progress';
export const pastDeadline = (r: ExamRun): boolean => r.s.deadline !== null && Date.now() >= Date.parse(r.s.deadline);

function checkEvents(events: readonly IntegrityEventInput[] | undefined): void {
  if (!events) return;
  if (events.length > EXAM_BATCH_MAX) reject('INVALID_ANSWER', `Paling banyak ${EXAM_BATCH_MAX} peristiwa per kiriman`);
  for (const e of events)
    if (
      !(INTEGRITY_KINDS as readonly string[]).includes(e?.kind) ||
      typeof e.at !== 'string' ||
      e.at.length > 40 ||
      (e.detail !== undefined && (typeof e.detail !== 'string' || e.detail.length > 200))
    )
      reject('INVALID_ANSWER', 'Peristiwa integritas tidak valid');
}

function checkWritable(r: ExamRun, deviceId: string): void {
  if (ended(r) || pastDeadline(r)) reject('EXAM_CLOSED', 'Waktu ujian sudah berakhir; jawaban tidak diterima lagi');
  if (r.s.status === 'waiting') reject('EXAM_NOT_OPEN', 'Ujian belum dimulai');
  if (r.s.device?.deviceId !== deviceId)
    reject('DEVICE_LOCKED', 'Sesi ujian ini sudah diambil alih oleh perangkat lain');
}

/** The validator of a batch of answers, flags and integrity events (save and submit). */
export function checkBatch(r: ExamRun, b: SaveAnswersInput): void {
  checkWritable(r, b?.deviceId);
  if (!Array.isArray(b.answers) || b.answers.length > EXAM_BATCH_MAX || (b.flags?.length ?? 0) > EXAM_BATCH_MAX)
    reject('INVALID_ANSWER', `Paling banyak ${EXAM_BATCH_MAX} jawaban dan tanda per kiriman`);
  for (const a of b.answers) {
    const opts = r.options.get(a?.itemId);
    if (!opts) reject('INVALID_ANSWER', `Soal ${String(a?.itemId)} tidak ada dalam sesi ini`);
    if (a.option !== null && !opts.has(a.option))
      reject('INVALID_ANSWER', `Pilihan ${String(a.option)} tidak ada pada soal ${a.itemId}`);
  }
  for (const f of b.flags ?? [])
    if (!r.options.has(f?.itemId)) reject('INVALID_ANSWER', `Soal ${String(f?.itemId)} tidak ada dalam sesi ini`);
  checkEvents(b.events);
}

/** Keeps integrity events (the latest EXAM_INTEGRITY_KEPT; older ones only counted). */
export function record(r: ExamRun, deviceId: string, events: readonly IntegrityEventInput[] | undefined): void {
  for (const e of events ?? []) {
    r.s.integrity.push({ ...e, receivedAt: iso(), deviceId });
    if (r.s.integrity.length > EXAM_INTEGRITY_KEPT) {
      r.s.integrity.shift();
      r.s.integrityDropped += 1;
    }
  }
}

/** Applies a checked batch and acknowledges it with the new revision. */
export function apply(r: ExamRun, b: SaveAnswersInput): SaveAck {
  const s = r.s;
  for (const a of b.answers) {
    if (a.option === null) delete s.answers[a.itemId];
    else s.answers[a.itemId] = a.option;
  }
  const flags = new Set(s.flags);
  for (const f of b.flags ?? []) {
    if (f.flagged) flags.add(f.itemId);
    else flags.delete(f.itemId);
  }
  s.flags = [...flags];
  record(r, b.deviceId, b.events);
  s.revision += 1;
  return { revision: s.revision, answered: Object.keys(s.answers).length, deadline: s.deadline!, savedAt: iso() };
}
