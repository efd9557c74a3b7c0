import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ServiceDeps } from '../../api/services/deps';
import { candidateWorkflowStatus, submitDocuments } from '../../api/services/documents';
import type { Db } from '../../db/connection';
import type { RoundConfig, RoundConfigInput } from '../../domain';
import type { candidate } from '../../workflows/candidate';
import {
  candidateWorkflowId,
  finalResultSignal,
  skbScoreSignal,
  skbSelectionSignal,
  skdResultSignal,
  submitDrhUpdate,
  verifyDocumentsUpdate,
} from '../../contracts';
import { wib } from '../fixtures';
import { openRound, PERAWAT_DOCS, registerCandidate, reviewers, uploadAll } from '../helpers/candidates';
import { spawnTs } from '../helpers/processes';
import { devServerEnv, testDb, uniqueTaskQueue } from '../helpers/temporal';
import { createWorker } from '../../worker/worker';
import { candidateStatusQuery } from '../../contracts';

let env: TestWorkflowEnvironment;
let db: Db;

beforeAll(async () => {
  env = await devServerEnv();
  db = testDb();
});
afterAll(async () => {
  await env?.teardown();
  await db?.destroy();
});

/**
 * A candidate registered, with its documents submitted, in a round of its own whose registration
 * closes `windowMs` after this attempt began (so the path moves on soon after). On a machine too
 * slow to register and submit within the window (the candidate answers WINDOW_CLOSED) it starts
 * over in a new round with twice the window: what the tests check never depends on how fast the
 * machine is, only how long they wait.
 */
async function registeredWithDocuments(
  deps: ServiceDeps,
  prefix: string,
  windowMs: number,
  schedule: (s: RoundConfig['schedule']) => RoundConfig['schedule'],
  prepare: (roundId: string) => Promise<void>,
  overrides: Partial<RoundConfigInput> = {},
): Promise<{ registrationNo: string; roundId: string }> {
  for (let window = windowMs, attempt = 1; ; window *= 2, attempt += 1) {
    const now = Date.now();
    const base = await openRound(db, now, `${prefix}-${now.toString(36)}-${attempt}`, overrides);
    await db
      .updateTable('rounds')
      .set({
        config: JSON.stringify({
          ...base,
          schedule: schedule({ ...base.schedule, registrationCloses: wib(now + window) }),
        }),
      })
      .where('round_id', '=', base.roundId)
      .execute();
    await prepare(base.roundId);
    try {
      const { registrationNo } = await registerCandidate(deps, base.roundId);
      await submitDocuments(deps, registrationNo, await uploadAll(deps, registrationNo, PERAWAT_DOCS));
      return { registrationNo, roundId: base.roundId };
    } catch (err) {
      const type = (err as { cause?: { type?: string } }).cause?.type;
      if (type !== 'WINDOW_CLOSED' || window > 240_000) throw err;
    }
  }
}

describe('a candidate path survives a killed worker (real dev server, real time)', () => {
  it('the worker is SIGKILLed after the appointment is written, before it completes; the replacement finishes with one NIP and no duplicate rows', async () => {
    const taskQueue = uniqueTaskQueue('cand-kill');
    const common = {
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: env.address,
      TASK_QUEUE: taskQueue,
      ASN_WORKFLOW_BUNDLE: inject('bundlePath'),
    };
    const deps: ServiceDeps = { db, client: env.client, connection: env.connection, taskQueue };
    const [reviewer] = await reviewers(db, 1);

    const first = spawnTs('worker/main.ts', { ...common, ASN_FAULT_PAUSE_AFTER_WRITE: 'appoint' });
    try {
      await first.waitFor('WORKER_READY', 120_000);
      // Registration closes a few seconds after the documents are in; everything after stays far ahead.
      const { registrationNo } = await registeredWithDocuments(
        deps,
        'kill-cand',
        8_000,
        (schedule) => schedule,
        async (roundId) => {
          await db.insertInto('round_reviewers').values({ round_id: roundId, username: reviewer! }).execute();
        },
      );
      const h = env.client.workflow.getHandle<typeof candidate>(candidateWorkflowId(registrationNo));
      await expect
        .poll(async () => (await candidateWorkflowStatus(deps, registrationNo)).stage, {
          timeout: 300_000,
          interval: 250,
        })
        .toBe('verification');
      const s = await candidateWorkflowStatus(deps, registrationNo);
      await h.executeUpdate(verifyDocumentsUpdate, {
        args: [{ reviewer: s.reviewer!, decisions: s.documents.map((d) => ({ kind: d.kind, result: 'MS' as const })) }],
      });
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
      await expect
        .poll(async () => (await candidateWorkflowStatus(deps, registrationNo)).stage, {
          timeout: 300_000,
          interval: 250,
        })
        .toBe('appointment');
      await h.executeUpdate(submitDrhUpdate, { args: [{ drh: { alamat: 'Jl. Sisingamangaraja, Medan' } }] });
      await first.waitFor('FAULT_PAUSED appoint', 120_000);
      const written = await db
        .selectFrom('appointments')
        .select(['nip'])
        .where('registration_no', '=', registrationNo)
        .executeTakeFirstOrThrow();
      expect(written.nip).toMatch(/^\d{18}$/);
      await first.kill('SIGKILL');

      const second = spawnTs('worker/main.ts', common);
      try {
        await second.waitFor('WORKER_READY', 120_000);
        const result = await h.result();
        expect(result.outcome).toBe('appointed');
        expect(result.nip).toBe(written.nip); // the retried appointment found its own write
      } finally {
        await second.kill('SIGTERM');
      }
      expect(
        await db.selectFrom('appointments').select('nip').where('registration_no', '=', registrationNo).execute(),
      ).toHaveLength(1);
      const prefix = written.nip!.slice(0, 15);
      // No sequence number burned: the prefix's counter equals the NIPs issued on it (other files of
      // this run share the database and may appoint on the same prefix).
      const onPrefix = await db.selectFrom('appointments').select('nip').where('nip', 'like', `${prefix}%`).execute();
      expect(
        await db.selectFrom('nip_sequences').select('last_seq').where('prefix', '=', prefix).executeTakeFirst(),
      ).toEqual({ last_seq: onPrefix.length });
      expect(Number(written.nip!.slice(15))).toBeLessThanOrEqual(onPrefix.length);
      const actions = (
        await db.selectFrom('audit_log').select('action').where('subject', '=', registrationNo).execute()
      ).map((a) => a.action);
      for (const a of new Set(actions))
        if (a !== 'task.assigned')
          expect(
            actions.filter((x) => x === a),
            a,
          ).toHaveLength(1);
      expect(actions).toContain('candidate.appointed');
    } finally {
      await first.kill('SIGKILL');
    }
  }, 900_000);

  it('a reviewer decision taken in the same task as its deadline timer (worker down meanwhile) is honoured: no escalation, no task reopened, the stage is right in PostgreSQL', async () => {
    // Plaintext payloads (a plain client and worker): the history is kept as a golden one when
    // ASN_CAPTURE_GOLDEN=1, like test/histories/capture.ts does.
    const client = new Client({ connection: env.connection });
    const taskQueue = uniqueTaskQueue('cand-inflight');
    const deps: ServiceDeps = { db, client, connection: env.connection, taskQueue };
    const pool = await reviewers(db, 2);
    const worker = (): Promise<Worker> =>
      createWorker({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        deps: { db, client },
        bundlePath: inject('bundlePath'),
        options: { dataConverter: {} },
      });

    let registrationNo = '';
    const h = (): ReturnType<Client['workflow']['getHandle']> =>
      client.workflow.getHandle(candidateWorkflowId(registrationNo));
    const first = await worker();
    const s = await first.runUntil(async () => {
      ({ registrationNo } = await registeredWithDocuments(
        deps,
        'inflight',
        6_000,
        (schedule) => ({ ...schedule, verificationDeadline: schedule.registrationCloses }),
        async (roundId) => {
          await db
            .insertInto('round_reviewers')
            .values(pool.map((username) => ({ round_id: roundId, username })))
            .execute();
        },
        { simulation: { dayMs: 3_000 } },
      ));
      for (;;) {
        const st = await h().query(candidateStatusQuery);
        if (st.stage === 'verification' && st.reviewer) return st;
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    // The first worker is gone; the reviewer's deadline passes; then the decision arrives, and
    // the replacement takes both (timer fired, Update) in its first task.
    const due = Date.parse(s.deadlines.verificationReviewer!);
    await new Promise((r) => setTimeout(r, Math.max(due - Date.now(), 0) + 1_500));
    const decision = h().executeUpdate(verifyDocumentsUpdate, {
      args: [{ reviewer: s.reviewer!, decisions: s.documents.map((d) => ({ kind: d.kind, result: 'MS' as const })) }],
    });
    decision.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1_000));
    const second = await worker();
    const after = await second.runUntil(async () => {
      expect((await decision).administrasi).toBe('MS');
      for (;;) {
        const st = await h().query(candidateStatusQuery);
        if (st.stage === 'awaiting_skd') return st;
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    expect(after.decisions.map((d) => d.what).filter((w) => w.startsWith('eskalasi'))).toEqual([]);
    expect(after.reviewer).toBe(s.reviewer);
    const app = await db
      .selectFrom('applications')
      .select('stage')
      .where('registration_no', '=', registrationNo)
      .executeTakeFirstOrThrow();
    expect(app.stage).toBe('awaiting_skd');
    const tasks = await db
      .selectFrom('tasks')
      .select(['task_id', 'status'])
      .where('registration_no', '=', registrationNo)
      .execute();
    expect(tasks).toEqual([{ task_id: `${registrationNo}:verification:administrasi:1`, status: 'done' }]);

    const history = await h().fetchHistory();
    // The race really happened in this run: the reviewer's deadline timer had fired when the
    // workflow task that accepted the decision began (one task completed between the firing and
    // the acceptance: the one that handled both).
    const events = history.events ?? [];
    const accepted = events.findIndex(
      (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'verifyDocuments',
    );
    const fired = events
      .map((e, i) => (i < accepted && e.timerFiredEventAttributes ? i : -1))
      .reduce((a, b) => Math.max(a, b), -1);
    expect(accepted).toBeGreaterThan(0);
    expect(fired).toBeGreaterThan(0);
    expect(events.slice(fired, accepted).filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('bundlePath') }, dataConverter: {} },
      history,
      candidateWorkflowId(registrationNo),
    );
    if (process.env.ASN_CAPTURE_GOLDEN === '1')
      writeFileSync(
        join(__dirname, '..', 'histories', 'candidate-1.0-decision-in-flight.json'),
        historyToJSON(history),
      );
  }, 900_000);
});
