/**
 * The online SKD session (issue 19) on the time-skipping server with real PostgreSQL: the clock,
 * the timer, devices, resume, scoring against the bank's keys, the result in the candidate's
 * workflow, absence, re-derivation and replay.
 */
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { AppError } from '../../api/errors';
import type { ServiceDeps } from '../../api/services/deps';
import { candidateWorkflowStatus, submitDocuments } from '../../api/services/documents';
import {
  ensureSession,
  examSummary,
  openExam,
  recordIntegrity,
  saveExamAnswers,
  setParticipant,
  startRoundSessions,
  submitExam,
} from '../../api/services/exam';
import { proctorSession, proctorSessions, rederiveSession, rederiveExamScores } from '../../api/services/exam-proctor';
import { dataConverter } from '../../config/codec';
import { rederiveRound } from '../../api/services/audit';
import type { Db } from '../../db/connection';
import { scoreExam, skdTotal, type ExamKeyItem, type RoundConfig } from '../../domain';
import { examWorkflowId, verifyDocumentsUpdate, candidateWorkflowId, type CandidateStatus } from '../../contracts';
import { DAY, openRound, PERAWAT_DOCS, registerCandidate, reviewers, uploadAll } from '../helpers/candidates';
import { batchId, deviceId, importBanks } from '../helpers/exam';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';
import { sampleSchedule } from '../fixtures';

let env: TestWorkflowEnvironment;
let db: Db;
let h: Harness;
let deps: ServiceDeps;
let config: RoundConfig;
let keys: Map<string, ExamKeyItem>;
const regs: string[] = [];
const HOUR = 3_600_000;
const taskQueue = uniqueTaskQueue('exam');
const bankId = `bank-${process.pid}-${Date.now().toString(36)}`;

const code = (e: unknown): string | undefined =>
  (e as AppError)?.code ?? (e as { cause?: { type?: string } })?.cause?.type;
const refused = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
  } catch (e) {
    return code(e);
  }
  return 'accepted';
};
const status = (no: string): Promise<CandidateStatus> => candidateWorkflowStatus(deps, no);
const sleepUntil = async (instant: string | number, plusMs = 0): Promise<void> => {
  const ms = (typeof instant === 'number' ? instant : Date.parse(instant)) + plusMs - (await env.currentTimeMs());
  if (ms > 0) await env.sleep(ms);
};

beforeAll(async () => {
  h = await startHarness(taskQueue);
  ({ env, db, deps } = h);
  await reviewers(db, 2);
  const now = await env.currentTimeMs();
  const regCloses = Date.parse(sampleSchedule(now - 32 * DAY).registrationCloses);
  const slot = (id: string, from: number, hours: number) => ({
    slotId: id,
    opensAt: new Date(regCloses + from * HOUR).toISOString(),
    closesAt: new Date(regCloses + (from + hours) * HOUR).toISOString(),
  });
  const perawat = {
    unit: 'Dinas Kesehatan',
    jabatan: 'Perawat Ahli Pertama',
    educationLevel: 'S1' as const,
    educationPrograms: ['Keperawatan'],
    quota: 2,
    extraDocuments: ['str' as const],
    skbMax: 500,
  };
  config = await openRound(db, now, `exam-${process.pid}-${Date.now().toString(36)}`, {
    formations: [
      { formationId: 'DINKES-PERAWAT', category: 'umum', ...perawat },
      { formationId: 'DISABILITAS-PERAWAT', category: 'disabilitas', ...perawat },
    ],
    exam: { skd: { mode: 'online', bankId, slots: [slot('sesi-1', 2, 4), slot('sesi-2', 10, 4)] } },
  });
  keys = await importBanks(deps, bankId);
  for (let i = 0; i < 5; i++) {
    const disab = i === 4;
    const { registrationNo } = await registerCandidate(
      deps,
      config.roundId,
      disab ? { category: 'disabilitas', formationId: 'DISABILITAS-PERAWAT' } : {},
    );
    await submitDocuments(deps, registrationNo, await uploadAll(deps, registrationNo, PERAWAT_DOCS));
    regs.push(registrationNo);
  }
  await sleepUntil(config.schedule.registrationCloses, 60_000);
  for (const no of regs) {
    const s = await status(no);
    await env.client.workflow.getHandle(candidateWorkflowId(no)).executeUpdate(verifyDocumentsUpdate, {
      args: [{ reviewer: s.reviewer!, decisions: s.documents.map((d) => ({ kind: d.kind, result: 'MS' as const })) }],
    });
  }
}, 240_000);
afterAll(async () => {
  await h?.stop();
});

describe('online SKD session', () => {
  it('refuses before the slot, then runs a whole session: devices, takeover, resume, submit, score, candidate, rederive, replay', async () => {
    const no = regs[0]!;
    const a = deviceId('a');
    const b = deviceId('b');
    expect((await examSummary(deps, no)).status).toBe('none');
    expect(await refused(openExam(deps, no, { deviceId: a }))).toBe('EXAM_NOT_OPEN');
    await sleepUntil(config.exam!.skd.slots![0]!.opensAt, 60_000);

    const view = await openExam(deps, no, { deviceId: a });
    expect(view.status).toBe('in_progress');
    expect(view.items).toHaveLength(110);
    expect(view.items.map((i) => i.subtest).join('')).toMatch(/^(twk){30}(tiu){35}(tkp){45}$/);
    expect(JSON.stringify(view)).not.toMatch(/points/);
    // The server's clock: the deadline is 100 minutes after the start (the test server's time).
    expect(Date.parse(view.deadline!) - Date.parse(view.startedAt!)).toBe(100 * 60_000);
    expect(Math.abs(Date.parse(view.startedAt!) - (await env.currentTimeMs()))).toBeLessThan(60_000);

    expect(await refused(openExam(deps, no, { deviceId: b }))).toBe('DEVICE_CONFLICT');
    // Answer every item: the first option shown (the candidate's order is shuffled).
    const chosen = Object.fromEntries(view.items.map((i) => [i.itemId, i.options[0]!.id]));
    const all = Object.entries(chosen).map(([itemId, option]) => ({ itemId, option }));
    const ack1 = await saveExamAnswers(deps, no, { deviceId: a, batchId: batchId(), answers: all.slice(0, 60) });
    expect(ack1).toMatchObject({ revision: 1, answered: 60 });
    const again = batchId();
    const ack2 = await saveExamAnswers(deps, no, {
      deviceId: a,
      batchId: again,
      answers: all.slice(60, 100),
      events: [{ kind: 'focus_lost', at: new Date().toISOString() }],
    });
    // The same batch retried is applied once.
    expect(await saveExamAnswers(deps, no, { deviceId: a, batchId: again, answers: all.slice(60, 100) })).toMatchObject(
      { revision: ack2.revision },
    );
    expect(
      await refused(
        saveExamAnswers(deps, no, { deviceId: a, batchId: batchId(), answers: [{ itemId: 'nope', option: 'a' }] }),
      ),
    ).toBe('INVALID_ANSWER');

    await env.sleep(20 * 60_000);
    // Device B takes over explicitly: A is locked, B resumes with the answers and the server's time.
    const resumed = await openExam(deps, no, { deviceId: b, takeover: true });
    expect(resumed.answers).toEqual(Object.fromEntries(all.slice(0, 100).map((x) => [x.itemId, x.option])));
    expect(resumed.items.map((i) => i.itemId)).toEqual(view.items.map((i) => i.itemId));
    expect(resumed.deadline).toBe(view.deadline);
    const left = Date.parse(resumed.deadline!) - (await env.currentTimeMs());
    expect(left).toBeLessThanOrEqual(80 * 60_000);
    expect(left).toBeGreaterThan(79 * 60_000);
    expect(await refused(saveExamAnswers(deps, no, { deviceId: a, batchId: batchId(), answers: [] }))).toBe(
      'DEVICE_LOCKED',
    );
    await recordIntegrity(deps, no, { deviceId: b, events: [{ kind: 'paste', at: new Date().toISOString() }] });

    const live = await proctorSessions(deps, config.roundId, { status: 'live' });
    const mine = live.items.find((r) => r.registrationNo === no)!;
    expect(mine).toMatchObject({ status: 'in_progress', answered: 100, takeovers: 1, itemCount: 110 });
    await expect
      .poll(async () => (await proctorSession(deps, mine.sessionId)).integrity)
      .toEqual({ focus_lost: 1, paste: 1 });

    // The last 10 answers in the submit; one answer cleared.
    const last = [...all.slice(100), { itemId: all[0]!.itemId, option: null }];
    const done = await submitExam(deps, no, { deviceId: b, batchId: batchId(), answers: last });
    delete chosen[all[0]!.itemId];
    const expected = scoreExam([...keys.values()], chosen);
    expect(done.status).toBe('finished');
    expect(done.endedBy).toBe('submit');
    expect(done.result).toMatchObject({ ...expected, total: skdTotal(expected) });
    expect(await refused(saveExamAnswers(deps, no, { deviceId: b, batchId: batchId(), answers: [] }))).toBe(
      'EXAM_CLOSED',
    );
    expect((await examSummary(deps, no)).result).toMatchObject(expected);

    // The score reached the candidate's workflow and the round's scores.
    await expect.poll(async () => (await status(no)).skd, { timeout: 10_000 }).toMatchObject(expected);
    const row = await db.selectFrom('exam_scores').selectAll().where('registration_no', '=', no).executeTakeFirst();
    expect(row).toMatchObject({ kind: 'skd', ...expected });

    const re = await rederiveSession(deps, mine.sessionId);
    expect(re).toMatchObject({
      match: true,
      answersMatch: true,
      rederived: { ...expected, total: skdTotal(expected) },
    });
    expect((await rederiveExamScores(db, config.roundId)).differences).toEqual([]);
    const round = await rederiveRound(db, config);
    expect(round.checked.examSessions).toBe(1);
    expect(round.differences.filter((d) => d.what === 'SKD daring')).toEqual([]);
    // A published total changed in PostgreSQL is caught by both re-derivations.
    const total = skdTotal(expected);
    await db
      .updateTable('exam_sessions')
      .set({ total: total + 5 })
      .where('session_id', '=', mine.sessionId)
      .execute();
    expect((await rederiveRound(db, config)).differences).toContainEqual({
      what: 'SKD daring',
      registrationNo: no,
      published: total + 5,
      rederived: total,
    });
    expect((await rederiveSession(deps, mine.sessionId)).match).toBe(false);
    await db.updateTable('exam_sessions').set({ total }).where('session_id', '=', mine.sessionId).execute();

    const history = await env.client.workflow.getHandle(examWorkflowId(mine.sessionId)).fetchHistory();
    // Small history: about 5 events per accepted batch (task + accepted + completed), no activity per save.
    expect(history.events!.length).toBeLessThan(100);
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('bundlePath') }, dataConverter: dataConverter() },
      history,
      examWorkflowId(mine.sessionId),
    );
  });

  it('the timer ends the session by itself and scores what was saved; later answers are refused', async () => {
    const no = regs[1]!;
    const a = deviceId('t');
    const view = await openExam(deps, no, { deviceId: a });
    const answers = view.items.slice(0, 20).map((i) => ({ itemId: i.itemId, option: i.options[1]!.id }));
    await saveExamAnswers(deps, no, { deviceId: a, batchId: batchId(), answers });
    await env.sleep(100 * 60_000 + 5_000);
    await expect.poll(async () => (await examSummary(deps, no)).status, { timeout: 10_000 }).toBe('finished');
    const s = await examSummary(deps, no);
    expect(s.endedBy).toBe('timer');
    expect(s.result).toMatchObject(
      scoreExam([...keys.values()], Object.fromEntries(answers.map((x) => [x.itemId, x.option]))),
    );
    expect(await refused(saveExamAnswers(deps, no, { deviceId: a, batchId: batchId(), answers }))).toBe('EXAM_CLOSED');
    expect(await refused(submitExam(deps, no, { deviceId: a, batchId: batchId(), answers: [] }))).toBe('EXAM_CLOSED');
  });

  it('a participant with a visual disability in a disabilitas formation gets 130 minutes; others 100', async () => {
    const disab = regs[4]!;
    await setParticipant(deps, config.roundId, disab, { slotId: 'sesi-2', visualDisability: true }, 'hr.test');
    const { row } = await ensureSession(deps, disab);
    expect(row.duration_ms).toBe(130 * 60_000);
    expect(row.slot_id).toBe('sesi-2');
    expect(await refused(setParticipant(deps, config.roundId, disab, { visualDisability: false }, 'hr.test'))).toBe(
      'EXAM_SESSION_EXISTS',
    );
    await setParticipant(deps, config.roundId, regs[3]!, { slotId: 'sesi-2', visualDisability: true }, 'hr.test');
    expect((await ensureSession(deps, regs[3]!)).row.duration_ms).toBe(100 * 60_000); // umum formation
  });

  it('HR opens the exam for every participant; one who never starts is absent when the slot closes', async () => {
    const r = await startRoundSessions(deps, config.roundId);
    // regs[0..1] have ended their SKD (out of the race when they failed); regs[3..4] have sessions already.
    expect(r.created).toBe(1);
    const no = regs[2]!;
    expect((await examSummary(deps, no)).status).toBe('waiting');
    await sleepUntil(config.exam!.skd.slots![0]!.closesAt, 60_000);
    await expect.poll(async () => (await examSummary(deps, no)).status, { timeout: 10_000 }).toBe('absent');
    expect(await refused(openExam(deps, no, { deviceId: deviceId('late') }))).toBe('EXAM_CLOSED');
    await expect.poll(async () => (await status(no)).outcome, { timeout: 10_000 }).toBe('skd_failed');
  });
});
