import { startHarness, type Harness } from '../helpers/harness';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../db/audit';
import type { Db } from '../../db/connection';
import { withDefaults } from '../../domain';
import {
  answerSanggahUpdate,
  candidateStatusQuery,
  candidateWorkflowId,
  extendDeadlineUpdate,
  fileSanggahUpdate,
  roundStateQuery,
  roundWorkflowId,
  verifyDocumentsUpdate,
  type RoundState,
} from '../../contracts';
import { submitDocuments } from '../../api/services/documents';
import { register } from '../../api/services/registrations';
import { getRoundState } from '../../api/services/rounds';
import type { ServiceDeps } from '../../api/services/deps';
import { PERAWAT_DOCS, registration, reviewers, uploadAll } from '../helpers/candidates';
import type { recruitmentRound } from '../../workflows/round';
import { sampleRound, wib } from '../fixtures';

const DAY = 86_400_000;
import { uniqueTaskQueue } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let db: Db;
let h: Harness;
let deps: ServiceDeps;
const taskQueue = uniqueTaskQueue('round');

beforeAll(async () => {
  h = await startHarness(taskQueue);
  ({ env, db, deps } = h);
  await reviewers(db, 2); // a sanggah goes to another reviewer than the one who decided
});
afterAll(async () => {
  await h?.stop();
});

describe('recruitmentRound on the time-skipping server', () => {
  it('records the round once, walks every phase on durable timers and takes a deadline extension', async () => {
    const roundId = `ts-${Date.now()}`;
    // The schedule starts at the test server's "now" so the months of a round pass in seconds.
    const config = withDefaults(sampleRound(roundId));
    const handle = await env.client.workflow.start<typeof recruitmentRound>('recruitmentRound', {
      taskQueue,
      workflowId: roundWorkflowId(roundId),
      args: [{ config, createdBy: 'hr.test' }],
    });

    // Wait for the first activity to have run (the query answers as soon as the workflow has started).
    await expect
      .poll(
        async () =>
          (await db.selectFrom('rounds').select('phase').where('round_id', '=', roundId).executeTakeFirst())?.phase,
        { timeout: 20_000 },
      )
      .toBeDefined();
    const state = await handle.query(roundStateQuery);
    expect(state.roundId).toBe(roundId);
    expect(state.formations.map((f) => f.formationId)).toEqual(['DINKES-PERAWAT', 'DISDIKBUD-GURU']);

    // Moving a deadline backwards is refused with a stable code; nothing changes.
    const closes = Date.parse(config.schedule.registrationCloses);
    await expect(
      handle.executeUpdate(extendDeadlineUpdate, {
        args: [{ key: 'registrationCloses', to: wib(closes - DAY), actor: 'hr.test', reason: 'salah' }],
      }),
    ).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof WorkflowUpdateFailedError && (e.cause as { type?: string }).type === 'INVALID_DEADLINE',
    );
    // Forward, before it passes, keeping the order: accepted and recorded.
    const newClose = wib(closes + 3 * DAY);
    const extended = await handle.executeUpdate(extendDeadlineUpdate, {
      args: [{ key: 'registrationCloses', to: newClose, actor: 'hr.test', reason: 'Gangguan server SSCASN' }],
    });
    expect(extended.schedule.registrationCloses).toBe(newClose);

    const final = await handle.result();
    expect(final.phase).toBe('closed');
    expect(final.phases.map((p) => p.phase)).toEqual([
      'consultation',
      'criteria_adoption',
      'registration',
      'administrative_check',
      'announcement',
      'skd',
      'skb',
      'final_announcement',
      'closed',
    ]);
    // The registration phase ended at the extended deadline, not the original one.
    const adminStart = final.phases.find((p) => p.phase === 'administrative_check')!.at;
    expect(Date.parse(adminStart)).toBeGreaterThanOrEqual(Date.parse(newClose));

    const rows = await db.selectFrom('rounds').selectAll().where('round_id', '=', roundId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.phase).toBe('closed');
    expect(
      await db.selectFrom('formations').select('formation_id').where('round_id', '=', roundId).execute(),
    ).toHaveLength(2);
    const audit = await db
      .selectFrom('audit_log')
      .select(['action'])
      .where('chain', '=', `round:${roundId}`)
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'round.created',
      'round.deadline_extended',
      'round.phase',
      'round.phase',
      'criteria.adopted_unchanged', // nobody adopted the criteria before registration opened
      ...Array(7).fill('round.phase'),
    ]);
    expect(await verifyChain(db, `round:${roundId}`)).toMatchObject({ ok: true, rows: 12 });
  });
});

const HOUR = 3_600_000;
const sleepTo = async (ms: number): Promise<void> => {
  const d = ms - (await env.currentTimeMs());
  if (d > 0) await env.sleep(d);
};
type Handle = ReturnType<TestWorkflowEnvironment['client']['workflow']['getHandle']>;
const startRound = async (prefix: string) => {
  const roundId = `${prefix}-${Date.now().toString(36)}`;
  const config = withDefaults(sampleRound(roundId, {}, await env.currentTimeMs()));
  const round = await env.client.workflow.start<typeof recruitmentRound>('recruitmentRound', {
    taskQueue,
    workflowId: roundWorkflowId(roundId),
    args: [{ config, createdBy: 'hr.test' }],
  });
  const at = (k: keyof typeof config.schedule): number => Date.parse(config.schedule[k] as string);
  return { roundId, config, round, at, state: (): Promise<RoundState> => round.query(roundStateQuery) };
};
/** A registration with every document submitted, and its workflow's handle once it awaits verification. */
const applicant = async (roundId: string): Promise<{ no: string; nik: string; h: Handle }> => {
  const req = registration();
  const { registrationNo } = await register(deps, roundId, req);
  await submitDocuments(deps, registrationNo, await uploadAll(deps, registrationNo, PERAWAT_DOCS));
  return { no: registrationNo, nik: req.nik, h: env.client.workflow.getHandle(candidateWorkflowId(registrationNo)) };
};
const decideTms = async (h: Handle): Promise<void> => {
  const s = await h.query(candidateStatusQuery);
  await h.executeUpdate(verifyDocumentsUpdate, {
    args: [
      {
        reviewer: s.reviewer!,
        decisions: s.documents.map((d) =>
          d.kind === 'str'
            ? { kind: d.kind, result: 'TMS' as const, reason: 'STR kedaluwarsa' }
            : { kind: d.kind, result: 'MS' as const },
        ),
      },
    ],
  });
};
const stageOf = async (h: Handle): Promise<string> => (await h.query(candidateStatusQuery)).stage;
const phaseAt = (s: RoundState, phase: string): number => Date.parse(s.phases.find((p) => p.phase === phase)!.at);
/** The round's announcement job of this kind, once finished. */
const announced = async (state: () => Promise<RoundState>, kind: string) => {
  await expect
    .poll(
      async () =>
        (await state()).jobs.find((j) => j.job.kind === 'announcement' && j.job.announcement === kind)?.finishedAt,
      { timeout: 20_000 },
    )
    .toBeTruthy();
  return (await state()).jobs.find((j) => j.job.kind === 'announcement' && j.job.announcement === kind)!;
};
const signalsReceived = async (h: Handle, name: string): Promise<number> =>
  ((await h.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === name)
    .length;

describe('fair announcements (issue 16): no stage announced while a decision of it is open', () => {
  it('the administrasi announcement waits for an open verification task (HR sees which and whose), then tells every candidate its instant; SKD waits for the sanggah windows', async () => {
    const { roundId, config, round, at, state } = await startRound('fair-ann');
    await sleepTo(at('registrationOpens') + HOUR);
    await expect.poll(async () => (await state()).phase, { timeout: 20_000 }).toBe('registration');
    const a = await applicant(roundId);
    const b = await applicant(roundId); // TMS, decided at once: a sanggah window of hers follows the announcement
    await sleepTo(at('registrationCloses') + HOUR);
    await expect.poll(() => stageOf(a.h), { timeout: 20_000 }).toBe('verification');
    await expect.poll(() => stageOf(b.h), { timeout: 20_000 }).toBe('verification');
    await decideTms(b.h);

    // Long past announcementAt (the reviewer silent, the task escalated meanwhile): not announced.
    await sleepTo(at('skdAt') - 2 * DAY);
    const held = await state();
    expect(held.phase).toBe('administrative_check');
    const task = { kind: 'verification', stage: 'administrasi', registrationNo: a.no };
    const reviewer = (await a.h.query(candidateStatusQuery)).reviewer;
    expect(held.held).toMatchObject({ phase: 'announcement', openTasks: 1, awaitingAssignment: 0 });
    expect(held.held!.tasks).toEqual([{ ...task, taskId: expect.any(String), reviewer }]);
    expect(Date.parse(held.held!.since)).toBeLessThan(at('announcementAt') + HOUR);
    // The API's read (GET /rounds/:id) says the same, read now; no personal data beyond the number.
    const read = await getRoundState(deps, roundId);
    expect(read.phase).toBe('administrative_check');
    expect(read.held).toMatchObject({ phase: 'announcement', openTasks: 1, tasks: [{ ...task, reviewer }] });
    expect(JSON.stringify(read.held)).not.toContain(a.nik);

    // The decision comes; the announcement follows at the next look, with that instant.
    const decidedAt = await env.currentTimeMs();
    const s = await a.h.query(candidateStatusQuery);
    await a.h.executeUpdate(verifyDocumentsUpdate, {
      args: [{ reviewer: s.reviewer!, decisions: s.documents.map((d) => ({ kind: d.kind, result: 'MS' as const })) }],
    });
    await env.sleep(7 * HOUR);
    await expect.poll(async () => (await state()).phase, { timeout: 20_000 }).toBe('announcement');
    const after = await state();
    expect(after.held).toBeNull();
    const announcedAt = phaseAt(after, 'announcement');
    expect(announcedAt).toBeGreaterThanOrEqual(decidedAt);
    const job = await announced(state, 'administrasi');
    expect(job.job).toEqual({
      kind: 'announcement',
      announcement: 'administrasi',
      at: new Date(announcedAt).toISOString(),
    });
    expect(job.signalled).toBeGreaterThanOrEqual(1); // A, and B while her window had not ended
    expect(await signalsReceived(a.h, 'roundAnnounced')).toBe(1);
    expect((await getRoundState(deps, roundId)).held).toBeNull();

    // SKD (the post-sanggah list) waits until every administrasi sanggah window has ended, counted
    // from the announcement that was made, not from the schedule's announcementAt.
    const windowsEnd = announcedAt + config.schedule.sanggahDays * DAY;
    expect(windowsEnd).toBeGreaterThan(at('skdAt'));
    await sleepTo(at('skdAt') + HOUR);
    const waiting = await state();
    expect(waiting.phase).toBe('announcement');
    expect(waiting.held).toMatchObject({ phase: 'skd', until: new Date(windowsEnd).toISOString() });
    await sleepTo(windowsEnd + HOUR);
    await expect.poll(async () => (await state()).phase, { timeout: 20_000 }).toBe('skd');
    expect(phaseAt(await state(), 'skd')).toBeGreaterThanOrEqual(windowsEnd);
    expect((await announced(state, 'skd_participants')).signalled).toBe(1);
    expect(await signalsReceived(a.h, 'roundAnnounced')).toBe(2);

    const final = await round.result();
    expect(final.phases.map((p) => p.phase)).toContain('closed');
    const actions = (
      await db.selectFrom('audit_log').select('action').where('chain', '=', `round:${roundId}`).execute()
    ).map((r) => r.action);
    expect(actions.filter((x) => x === 'round.held')).toHaveLength(1);
    expect((await verifyChain(db, `round:${roundId}`)).ok).toBe(true);
  }, 120_000);

  it('the SKD participants are not announced while an administrasi sanggah is unanswered', async () => {
    const { roundId, round, at, state } = await startRound('fair-skd');
    await sleepTo(at('registrationOpens') + HOUR);
    await expect.poll(async () => (await state()).phase, { timeout: 20_000 }).toBe('registration');
    const b = await applicant(roundId);
    await sleepTo(at('registrationCloses') + HOUR);
    await expect.poll(() => stageOf(b.h), { timeout: 20_000 }).toBe('verification');
    await decideTms(b.h);
    // Nothing open at announcementAt: announced on time, the TMS candidate appeals in the window.
    await sleepTo(at('announcementAt') + HOUR);
    await expect.poll(async () => (await state()).phase, { timeout: 20_000 }).toBe('announcement');
    expect(phaseAt(await state(), 'announcement')).toBeLessThan(at('announcementAt') + HOUR);
    await expect.poll(() => stageOf(b.h), { timeout: 20_000 }).toBe('sanggah');
    // Filed as soon as the candidate's window is open (it opens when the announcement reaches it).
    await expect
      .poll(
        () =>
          b.h
            .executeUpdate(fileSanggahUpdate, {
              args: [{ reason: 'STR saya diperpanjang sebelum pendaftaran ditutup; bukti terlampir.' }],
            })
            .then(
              () => 'filed',
              (e: unknown) => String((e as { cause?: { type?: string } }).cause?.type),
            ),
        { timeout: 20_000, interval: 200 },
      )
      .toBe('filed');
    await expect.poll(async () => (await b.h.query(candidateStatusQuery)).deadlines.sanggahReviewer).toBeDefined();

    // The reviewer is silent past skdAt (escalated meanwhile): SKD does not begin.
    await sleepTo(at('skdAt') + DAY);
    const held = await state();
    expect(held.phase).toBe('announcement');
    const reviewer = (await b.h.query(candidateStatusQuery)).reviewer;
    expect(held.held).toMatchObject({ phase: 'skd', openTasks: 1 });
    expect(held.held!.tasks).toEqual([
      { taskId: expect.any(String), kind: 'sanggah', stage: 'administrasi', reviewer, registrationNo: b.no },
    ]);
    expect((await getRoundState(deps, roundId)).held).toMatchObject({ phase: 'skd', openTasks: 1 });

    const answeredAt = await env.currentTimeMs();
    await b.h.executeUpdate(answerSanggahUpdate, {
      args: [{ reviewer: reviewer!, accepted: true, answer: 'STR berlaku pada tanggal penutupan pendaftaran' }],
    });
    await env.sleep(7 * HOUR);
    await expect.poll(async () => (await state()).phase, { timeout: 20_000 }).toBe('skd');
    expect(phaseAt(await state(), 'skd')).toBeGreaterThanOrEqual(answeredAt);
    expect((await announced(state, 'administrasi')).signalled).toBe(1);
    expect((await announced(state, 'skd_participants')).signalled).toBe(1);
    await round.result();
  }, 120_000);
});
