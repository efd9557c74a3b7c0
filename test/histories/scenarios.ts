import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createRoundActivities } from '../../activities/round';
import { submitDocuments } from '../../api/services/documents';
import { register } from '../../api/services/registrations';
import type { Db } from '../../db/connection';
import { createUser } from '../../db/users';
import { addMonths, withDefaults } from '../../domain';
import {
  careerStatusQuery,
  evaluateUpdate,
  extendProbationUpdate,
  recordHealthUpdate,
  recordLatsarUpdate,
} from '../../contracts';
import {
  answerSanggahUpdate,
  candidateStatusQuery,
  fileSanggahUpdate,
  roundAnnouncedSignal,
  extendDeadlineUpdate,
  roundStateQuery,
  candidateWorkflowId,
  finalResultSignal,
  roundWorkflowId,
  skbScoreSignal,
  skbSelectionSignal,
  skdResultSignal,
  submitDrhUpdate,
  verifyDocumentsUpdate,
} from '../../contracts';
import { sampleRound } from '../fixtures';
import { PERAWAT_DOCS, registration, uploadAll } from '../helpers/candidates';
import { careerInput, careerWorkflowIdOf } from '../helpers/career';

interface Ctx {
  env: TestWorkflowEnvironment;
  db: Db;
  taskQueue: string;
}

const DAY = 86_400_000;
const sleepTo = async (env: TestWorkflowEnvironment, ms: number): Promise<void> => {
  const d = ms - (await env.currentTimeMs());
  if (d > 0) await env.sleep(d);
};
const poll = async <T>(f: () => Promise<T>, ok: (v: T) => boolean): Promise<T> => {
  for (let i = 0; i < 500; i++) {
    const v = await f();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not reached');
};

/** The scenarios whose histories CI replays (see capture.ts). */
export const scenarios: { name: string; run: (c: Ctx) => Promise<{ workflowId: string; runId?: string }> }[] = [
  {
    // The 1.0 round: every phase on its timers, HR extends registration while its timer runs.
    name: 'round-1.0-full',
    run: async ({ env, taskQueue }) => {
      const roundId = `golden-round-${Date.now().toString(36)}`;
      const config = withDefaults(sampleRound(roundId, {}, await env.currentTimeMs()));
      const h = await env.client.workflow.start('recruitmentRound', {
        taskQueue,
        workflowId: roundWorkflowId(roundId),
        args: [{ config, createdBy: 'hr.golden' }],
      });
      await sleepTo(env, Date.parse(config.schedule.registrationOpens) + 60_000);
      await poll(
        () => h.query(roundStateQuery),
        (x) => x.phase === 'registration',
      );
      const to = new Date(Date.parse(config.schedule.registrationCloses) + 3 * DAY).toISOString();
      await h.executeUpdate(extendDeadlineUpdate, {
        args: [{ key: 'registrationCloses', to, actor: 'hr.golden', reason: 'Gangguan server SSCASN' }],
      });
      await h.result();
      return { workflowId: h.workflowId };
    },
  },
  {
    // The announcement held while a verification task is open, then made and fanned out.
    name: 'round-1.0-held-announcement',
    run: async (c) => heldAnnouncementRound(c),
  },
  {
    // The candidate's 1.0 baseline (no patches): MS, SKD, SKB, lulus, DRH, NIP and SK.
    name: 'candidate-1.0-appointed',
    run: async (c) => appointedCandidate(c),
  },
  {
    // TMS; the round announces late (roundAnnounced), the window starts then; the appeal is
    // filed in it and rejected.
    name: 'candidate-1.0-sanggah-late-announcement',
    run: async (c) => sanggahAfterLateAnnouncement(c),
  },
  {
    // Registration extended by the round, its notice not yet arrived; the close fires, the
    // candidate reads the round's record, waits on, submits, and is verified MS.
    name: 'candidate-1.0-close-confirmed',
    run: async (c) => closeConfirmedWithRound(c),
  },
  {
    // The probation run of 1.0: Latsar and health recorded early, an extension, PNS at its end.
    name: 'career-1.0-probation-pns',
    run: async ({ env, taskQueue }) => probationCareer(env, taskQueue),
  },
  {
    // A PNS year of 1.0 whose supervisor evaluates late: two reminders, escalation, the unit head evaluates.
    name: 'career-1.0-late-evaluation',
    run: async ({ env, taskQueue }) => lateEvaluationCareer(env, taskQueue),
  },
];

async function heldAnnouncementRound({ env, db, taskQueue }: Ctx): Promise<{ workflowId: string }> {
  const roundId = `golden-held-${Date.now().toString(36)}`;
  const config = withDefaults(sampleRound(roundId, {}, await env.currentTimeMs()));
  const h = await env.client.workflow.start('recruitmentRound', {
    taskQueue,
    workflowId: roundWorkflowId(roundId),
    args: [{ config, createdBy: 'hr.golden' }],
  });
  await createUser(db, {
    username: `golden-reviewer-held-${Date.now()}`,
    displayName: 'Verifikator',
    role: 'reviewer',
  });
  await sleepTo(env, Date.parse(config.schedule.registrationOpens) + 60_000);
  await poll(
    () => h.query(roundStateQuery),
    (x) => x.phase === 'registration',
  );
  const deps = { db, client: env.client, connection: env.connection, taskQueue };
  const { registrationNo } = await register(deps, roundId, registration());
  await submitDocuments(deps, registrationNo, await uploadAll(deps, registrationNo, PERAWAT_DOCS));
  const c = env.client.workflow.getHandle(candidateWorkflowId(registrationNo));
  await sleepTo(env, Date.parse(config.schedule.announcementAt) + 2 * DAY);
  await poll(
    () => h.query(roundStateQuery),
    (x) => x.held?.phase === 'announcement',
  );
  const s = await c.query(candidateStatusQuery);
  await c.executeUpdate(verifyDocumentsUpdate, {
    args: [{ reviewer: s.reviewer!, decisions: s.documents.map((d) => ({ kind: d.kind, result: 'MS' as const })) }],
  });
  await h.result();
  return { workflowId: h.workflowId };
}

/** A registration in a round open for it (recorded as its workflow would, a reviewer on hand), and its handle. */
async function registered({ env, db, taskQueue }: Ctx, prefix: string) {
  const now = await env.currentTimeMs();
  const roundId = `golden-${prefix}-${Date.now().toString(36)}`;
  const config = withDefaults(sampleRound(roundId, {}, now - 32 * DAY));
  await createRoundActivities({ db }).recordRound({ config, createdBy: 'hr.golden', at: new Date(now).toISOString() });
  await db.updateTable('rounds').set({ phase: 'registration' }).where('round_id', '=', roundId).execute();
  await createUser(db, {
    username: `golden-reviewer-${prefix}-${Date.now()}`,
    displayName: 'Verifikator',
    role: 'reviewer',
  });
  const deps = { db, client: env.client, connection: env.connection, taskQueue };
  const { registrationNo } = await register(deps, roundId, registration());
  return { config, deps, registrationNo, h: env.client.workflow.getHandle(candidateWorkflowId(registrationNo)) };
}

/** A registration with every document submitted, decided by its reviewer once registration closes (`tms`: that document TMS). */
async function verified(c: Ctx, prefix: string, tms?: { kind: string; reason: string }) {
  const r = await registered(c, prefix);
  await submitDocuments(r.deps, r.registrationNo, await uploadAll(r.deps, r.registrationNo, PERAWAT_DOCS));
  await sleepTo(c.env, Date.parse(r.config.schedule.registrationCloses) + 60_000);
  const s = await poll(
    () => r.h.query(candidateStatusQuery),
    (x) => x.stage === 'verification',
  );
  const decisions = s.documents.map((d) =>
    d.kind === tms?.kind
      ? { kind: d.kind, result: 'TMS' as const, reason: tms.reason }
      : { kind: d.kind, result: 'MS' as const },
  );
  await r.h.executeUpdate(verifyDocumentsUpdate, { args: [{ reviewer: s.reviewer!, decisions }] });
  return r;
}

async function appointedCandidate(c: Ctx): Promise<{ workflowId: string }> {
  const { h } = await verified(c, 'cand');
  await h.signal(skdResultSignal, { phaseKey: 'skd', scores: { twk: 100, tiu: 120, tkp: 200 } });
  await h.signal(skbSelectionSignal, { phaseKey: 'skb-selection', selected: true, skdRank: 1 });
  await h.signal(skbScoreSignal, { phaseKey: 'skb', score: 400 });
  await h.signal(finalResultSignal, {
    phaseKey: 'final',
    result: 'lulus',
    scaled: 785454,
    scale: 10000,
    display: '78,54',
    rank: 1,
    placementFormationId: null,
    breakdown: [],
  });
  await poll(
    () => h.query(candidateStatusQuery),
    (x) => x.stage === 'appointment',
  );
  await h.executeUpdate(submitDrhUpdate, { args: [{ drh: { alamat: 'Medan' } }] });
  await h.result();
  return { workflowId: h.workflowId };
}

async function sanggahAfterLateAnnouncement(c: Ctx): Promise<{ workflowId: string }> {
  const { env } = c;
  const { config, h } = await verified(c, 'sanggah', { kind: 'str', reason: 'STR kedaluwarsa' });
  // The round announces two days after the scheduled instant; the window starts then.
  const at = Date.parse(config.schedule.announcementAt) + 2 * DAY;
  await sleepTo(env, at);
  await h.signal(roundAnnouncedSignal, {
    announcement: 'administrasi',
    at: new Date(at).toISOString(),
    phaseKey: 'announce-administrasi',
  });
  await sleepTo(env, at + 60_000);
  await h.executeUpdate(fileSanggahUpdate, {
    args: [{ reason: 'STR saya diperpanjang sebelum pendaftaran ditutup; bukti terlampir.' }],
  });
  const w = await poll(
    () => h.query(candidateStatusQuery),
    (x) => x.deadlines.sanggahReviewer !== undefined,
  );
  await h.executeUpdate(answerSanggahUpdate, {
    args: [{ reviewer: w.reviewer!, accepted: false, answer: 'Perpanjangan STR terbit setelah pendaftaran ditutup' }],
  });
  await h.result();
  return { workflowId: h.workflowId };
}

async function closeConfirmedWithRound({ env, db, taskQueue }: Ctx): Promise<{ workflowId: string }> {
  const { config, deps, registrationNo, h } = await registered({ env, db, taskQueue }, 'close');
  const moved = Date.parse(config.schedule.registrationCloses) + 2 * DAY;
  await db
    .updateTable('rounds')
    .set({
      config: JSON.stringify({
        ...config,
        schedule: { ...config.schedule, registrationCloses: new Date(moved).toISOString() },
      }),
    })
    .where('round_id', '=', config.roundId)
    .execute();
  await sleepTo(env, Date.parse(config.schedule.registrationCloses) + 60_000);
  await submitDocuments(deps, registrationNo, await uploadAll(deps, registrationNo, PERAWAT_DOCS));
  await sleepTo(env, moved + 60_000);
  const s = await poll(
    () => h.query(candidateStatusQuery),
    (x) => x.stage === 'verification',
  );
  await h.executeUpdate(verifyDocumentsUpdate, {
    args: [{ reviewer: s.reviewer!, decisions: s.documents.map((d) => ({ kind: d.kind, result: 'MS' as const })) }],
  });
  await h.signal(skdResultSignal, { phaseKey: 'skd', scores: { twk: 10, tiu: 20, tkp: 30 } });
  await h.result();
  return { workflowId: h.workflowId };
}

/** A career started with TMT next January (a NIP unique to this capture) and its handle. */
async function startedCareer(env: TestWorkflowEnvironment, taskQueue: string) {
  const y = new Date(await env.currentTimeMs()).getUTCFullYear();
  const input = careerInput(
    { nip: `19980314${y + 1}011${String(Date.now() % 1000).padStart(3, '0')}` },
    `${y + 1}-01-01`,
  );
  const id = careerWorkflowIdOf(input.nip);
  const h = await env.client.workflow.start('career', { taskQueue, workflowId: id, args: [input] });
  return { input, id, h };
}

/** Latsar (month 2), health, an extension of one month; the year over, the CPNS becomes PNS. Returns the probation run. */
export async function probationCareer(
  env: TestWorkflowEnvironment,
  taskQueue: string,
): Promise<{ workflowId: string; runId: string }> {
  const { input, id, h } = await startedCareer(env, taskQueue);
  await sleepTo(env, Date.parse(`${addMonths(input.tmt, 2)}T12:00:00+07:00`));
  await h.executeUpdate(recordLatsarUpdate, { args: [{ actor: 'hr', passed: true }] });
  await h.executeUpdate(recordHealthUpdate, { args: [{ actor: 'hr', healthy: true }] });
  const s = await h.executeUpdate(extendProbationUpdate, {
    args: [{ actor: 'hr', months: 1, reason: 'Latsar angkatan ini ditunda penyelenggara' }],
  });
  await sleepTo(env, Date.parse(s.probation!.endsAt) + 3_600_000);
  const latest = env.client.workflow.getHandle(id);
  await poll(
    () => latest.query(careerStatusQuery),
    (x) => x.status === 'pns',
  );
  return { workflowId: id, runId: h.firstExecutionRunId };
}

/** Probation, then a PNS year whose supervisor never evaluates: reminders, escalation, the unit head evaluates; returns that year's (closed) run. */
export async function lateEvaluationCareer(
  env: TestWorkflowEnvironment,
  taskQueue: string,
): Promise<{ workflowId: string; runId: string }> {
  const { id, h } = await startedCareer(env, taskQueue);
  await h.executeUpdate(recordLatsarUpdate, { args: [{ actor: 'hr', passed: true }] });
  const recorded = await h.executeUpdate(recordHealthUpdate, { args: [{ actor: 'hr', healthy: true }] });
  await sleepTo(env, Date.parse(recorded.probation!.endsAt) + 3_600_000);
  const latest = env.client.workflow.getHandle(id);
  const s = await poll(
    () => latest.query(careerStatusQuery),
    (x) => x.status === 'pns',
  );
  const { runId } = await latest.describe();
  await sleepTo(env, Date.parse(`${s.year + 1}-02-10T12:00:00+07:00`));
  await latest.executeUpdate(evaluateUpdate, {
    args: [{ evaluator: 'kepala.unit', hasilKerja: 'sesuai', perilaku: 'sesuai' }],
  });
  await poll(
    () => latest.query(careerStatusQuery),
    (x) => x.year === s.year + 1,
  );
  return { workflowId: id, runId };
}
