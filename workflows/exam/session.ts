import { allHandlersFinished, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { ExamActivities } from '../../activities/exam';
import {
  EXAM_BATCH_MAX,
  EXAM_INTEGRITY_KEPT,
  INTEGRITY_KINDS,
  examStateQuery,
  integritySignal,
  openExamUpdate,
  reject,
  saveAnswersUpdate,
  submitExamUpdate,
  type ExamSessionInput,
  type ExamSessionState,
  type IntegrityEventInput,
  type SaveAck,
  type SaveAnswersInput,
} from '../../contracts';
import { examLayout } from '../../domain';

const acts = proxyActivities<ExamActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

const DEVICE_ID = /^[A-Za-z0-9_-]{16,64}$/;
const iso = (ms: number = Date.now()): string => new Date(ms).toISOString();

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

/**
 * One candidate's exam session (docs/exam.md): waits for the first open inside the slot (else
 * absent), holds the clock from then (the timer submits by itself), takes answers as batched
 * updates acknowledged with a revision, scores in an activity (the keys never enter the
 * workflow) and returns the final state. State changes happen in the handlers before any await.
 */
export async function examSession(input: ExamSessionInput): Promise<ExamSessionState> {
  const s = initialState(input);
  const options = new Map(input.items.map((i) => [i.itemId, new Set(i.options)]));
  let submitted = false;

  const ended = (): boolean => s.status !== 'waiting' && s.status !== 'in_progress';
  const pastDeadline = (): boolean => s.deadline !== null && Date.now() >= Date.parse(s.deadline);
  const checkWritable = (deviceId: string): void => {
    if (ended() || pastDeadline()) reject('EXAM_CLOSED', 'Waktu ujian sudah berakhir; jawaban tidak diterima lagi');
    if (s.status === 'waiting') reject('EXAM_NOT_OPEN', 'Ujian belum dimulai');
    if (s.device?.deviceId !== deviceId)
      reject('DEVICE_LOCKED', 'Sesi ujian ini sudah diambil alih oleh perangkat lain');
  };
  const checkBatch = (b: SaveAnswersInput): void => {
    checkWritable(b?.deviceId);
    if (!Array.isArray(b.answers) || b.answers.length > EXAM_BATCH_MAX || (b.flags?.length ?? 0) > EXAM_BATCH_MAX)
      reject('INVALID_ANSWER', `Paling banyak ${EXAM_BATCH_MAX} jawaban dan tanda per kiriman`);
    for (const a of b.answers) {
      const opts = options.get(a?.itemId);
      if (!opts) reject('INVALID_ANSWER', `Soal ${String(a?.itemId)} tidak ada dalam sesi ini`);
      if (a.option !== null && !opts.has(a.option))
        reject('INVALID_ANSWER', `Pilihan ${String(a.option)} tidak ada pada soal ${a.itemId}`);
    }
    for (const f of b.flags ?? [])
      if (!options.has(f?.itemId)) reject('INVALID_ANSWER', `Soal ${String(f?.itemId)} tidak ada dalam sesi ini`);
    checkEvents(b.events);
  };
  const record = (deviceId: string, events: readonly IntegrityEventInput[] | undefined): void => {
    for (const e of events ?? []) {
      s.integrity.push({ ...e, receivedAt: iso(), deviceId });
      if (s.integrity.length > EXAM_INTEGRITY_KEPT) {
        s.integrity.shift();
        s.integrityDropped += 1;
      }
    }
  };
  const apply = (b: SaveAnswersInput): SaveAck => {
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
    record(b.deviceId, b.events);
    s.revision += 1;
    return { revision: s.revision, answered: Object.keys(s.answers).length, deadline: s.deadline!, savedAt: iso() };
  };

  setHandler(examStateQuery, () => s);
  setHandler(
    openExamUpdate,
    (o) => {
      const now = Date.now();
      if (s.status === 'waiting') {
        s.status = 'in_progress';
        s.startedAt = iso(now);
        s.deadline = iso(now + input.durationMs);
      }
      if (s.device?.deviceId !== o.deviceId) {
        if (s.device) s.takeovers += 1;
        s.device = { deviceId: o.deviceId, since: iso(now) };
      }
      return s;
    },
    {
      validator: (o) => {
        if (typeof o?.deviceId !== 'string' || !DEVICE_ID.test(o.deviceId))
          reject('INVALID_ANSWER', 'deviceId: 16–64 huruf, angka, _ atau -');
        if (ended() || pastDeadline()) reject('EXAM_CLOSED', 'Sesi ujian sudah berakhir');
        const now = Date.now();
        if (s.status === 'waiting' && now < Date.parse(input.slot.opensAt))
          reject('EXAM_NOT_OPEN', 'Sesi ujian Anda belum dibuka');
        if (s.status === 'waiting' && now >= Date.parse(input.slot.closesAt))
          reject('EXAM_NOT_OPEN', 'Sesi ujian Anda sudah ditutup');
        if (s.device && s.device.deviceId !== o.deviceId && o.takeover !== true)
          reject('DEVICE_CONFLICT', 'Sesi ujian sedang dibuka di perangkat lain; konfirmasi untuk mengambil alih');
      },
    },
  );
  setHandler(saveAnswersUpdate, apply, { validator: checkBatch });
  setHandler(
    submitExamUpdate,
    async (b) => {
      apply(b);
      submitted = true;
      await condition(() => s.result !== null);
      return s;
    },
    { validator: checkBatch },
  );
  setHandler(integritySignal, (sig) => {
    if (typeof sig?.deviceId !== 'string' || !Array.isArray(sig.events)) return;
    const events = sig.events
      .slice(0, EXAM_BATCH_MAX)
      .filter((e) => (INTEGRITY_KINDS as readonly string[]).includes(e?.kind) && typeof e.at === 'string')
      .map((e) => ({
        kind: e.kind,
        at: e.at.slice(0, 40),
        ...(e.detail ? { detail: String(e.detail).slice(0, 200) } : {}),
      }));
    record(sig.deviceId.slice(0, 64), events);
  });

  return run(input, s, () => submitted);
}

async function run(input: ExamSessionInput, s: ExamSessionState, submitted: () => boolean): Promise<ExamSessionState> {
  const ref = { sessionId: input.sessionId, roundId: input.roundId, registrationNo: input.registrationNo };
  await condition(() => s.status !== 'waiting', Math.max(Date.parse(input.slot.closesAt) - Date.now(), 1));
  if (s.status === 'waiting') {
    s.status = 'absent';
    s.endedBy = 'slot_closed';
    s.endedAt = iso();
    await acts.recordExamAbsent({ ...ref, at: s.endedAt });
    await condition(allHandlersFinished);
    return s;
  }
  await acts.examSessionStarted({ sessionId: input.sessionId, startedAt: s.startedAt!, deadline: s.deadline! });
  await condition(submitted, Math.max(Date.parse(s.deadline!) - Date.now(), 1));
  s.endedBy = submitted() ? 'submit' : 'timer';
  s.status = 'scoring';
  s.endedAt = iso();
  s.result = await acts.scoreExamSession({
    ...ref,
    bankId: input.bankId,
    bankVersions: input.bankVersions,
    items: input.items,
    answers: { ...s.answers },
    endedBy: s.endedBy,
    endedAt: s.endedAt,
  });
  s.status = 'finished';
  await condition(allHandlersFinished);
  return s;
}
