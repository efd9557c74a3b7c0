/**
 * The round's history does not grow with its candidates: the same round (imports, SKB cut,
 * final ranking, all notifications) run with a few and with 2,000 running candidate workflows
 * on the time-skipping server; prints both event counts. `npm run bench:round-history`.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { importResults, requestRanking } from '../api/services/imports';
import type { ServiceDeps } from '../api/services/deps';
import { temporalTools } from '../config';
import { dataConverter } from '../config/codec';
import { withDefaults, type RoundConfig } from '../domain';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import { ensureSearchAttributes } from '../worker/search-attributes';
import { bundleWorkflows, createWorker } from '../worker/worker';
import {
  candidateWorkflowId,
  roundStateQuery,
  roundWorkflowId,
  type CandidateInput,
  type RoundState,
} from '../contracts';
import { sampleRound } from '../test/fixtures';
import { arg, benchDb, report, waitingCandidateInput } from './lib';

/** The round's 20 formations, 5 places each. */
const formations = Array.from({ length: 20 }, (_, f) => ({
  formationId: `F${f}`,
  unit: `Unit ${f % 5}`,
  jabatan: `Jabatan ${f % 4}`,
  educationLevel: 'S1' as const,
  educationPrograms: ['Manajemen'],
  quota: 5,
  category: 'umum' as const,
  skbMax: 500,
}));

/** The candidates' applications, verified MS and awaiting the SKD, written straight to PostgreSQL. */
async function seedApplications(db: Db, roundId: string, nos: string[]): Promise<void> {
  const n = nos.length;
  for (let i = 0; i < n; i += 1000) {
    const chunk = nos.slice(i, i + 1000);
    await db
      .insertInto('applications')
      .values(
        chunk.map((no, k) => ({
          registration_no: no,
          round_id: roundId,
          formation_id: `F${(i + k) % 20}`,
          budget_year: 2025,
          nik: `N${no}`,
          full_name: 'Sintetis',
          birth_date: '1996-01-01',
          sex: 'L' as const,
          email: 'x@example.id',
          category: 'umum',
          education_level: 'S1',
          education_program: 'Manajemen',
          ipk: 300 + ((i + k) % 50),
          stage: 'awaiting_skd',
        })),
      )
      .execute();
    await db
      .insertInto('verifications')
      .values(
        chunk.map((no) => ({
          registration_no: no,
          stage: 'administrasi',
          result: 'MS' as const,
          reviewer: 'bench',
          decisions: '[]',
          decided_at: new Date().toISOString(),
        })),
      )
      .execute();
  }
}

/** A running candidate workflow for each, its deadlines far off, 50 starts at a time. */
async function startCandidates(client: Client, taskQueue: string, config: RoundConfig, nos: string[]): Promise<void> {
  const n = nos.length;
  const far = config.schedule.drhDeadline;
  const input = (no: string, f: string): CandidateInput =>
    waitingCandidateInput({
      registrationNo: no,
      roundId: config.roundId,
      formationId: f,
      far,
      requiredDocuments: ['ktp'],
      sanggahStages: [],
    });
  for (let i = 0; i < n; i += 50)
    await Promise.all(
      nos.slice(i, i + 50).map((no, k) =>
        client.workflow.start('candidate', {
          taskQueue,
          workflowId: candidateWorkflowId(no),
          args: [input(no, `F${(i + k) % 20}`)],
        }),
      ),
    );
}

/** The SKB results of the candidates the SKB cut selected. */
async function importSkb(deps: ServiceDeps, roundId: string): Promise<void> {
  const db = deps.db;
  const selected = await db
    .selectFrom('rankings')
    .select('registration_no')
    .where('round_id', '=', roundId)
    .where('kind', '=', 'skb_selection')
    .where('result', '=', 'selected')
    .execute();
  await importResults(
    deps,
    roundId,
    'skb',
    ['registration_no,skb', ...selected.map((r, i) => `${r.registration_no},${200 + (i % 300)}`)].join('\n'),
    'bench',
  );
}

async function roundHistory(n: number): Promise<{ events: number; signalled: number }> {
  const { db, drop } = await benchDb(`history${n}`);
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTools().testServer } },
    client: { dataConverter: dataConverter() },
  });
  await ensureSearchAttributes(env.connection, 'default');
  try {
    const code = await bundleWorkflows();
    const taskQueue = 'round-history';
    const worker = await createWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      deps: { db, client: env.client },
      options: { workflowBundle: { code } },
    });
    return await worker.runUntil(async () => {
      const config = withDefaults(sampleRound(`history-${n}`, { formations }, await env.currentTimeMs()));
      const round = env.client.workflow.getHandle(roundWorkflowId(config.roundId));
      await env.client.workflow.start('recruitmentRound', {
        taskQueue,
        workflowId: round.workflowId,
        args: [{ config, createdBy: 'bench' }],
      });
      const deps = { db, client: env.client, connection: env.connection, taskQueue };
      const sleepTo = async (iso: string): Promise<void> => {
        const d = Date.parse(iso) + 3_600_000 - (await env.currentTimeMs());
        if (d > 0) await env.sleep(d);
      };
      const jobsDone = async (k: number): Promise<void> => {
        for (;;) {
          const s = await round.query(roundStateQuery);
          if (s.jobs.filter((j) => j.finishedAt).length >= k) return;
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      await sleepTo(config.schedule.registrationOpens);
      const nos = Array.from({ length: n }, (_, i) => `2025${String(i + 1).padStart(8, '0')}`);
      await seedApplications(db, config.roundId, nos);
      await startCandidates(env.client, taskQueue, config, nos);

      await sleepTo(config.schedule.skdAt);
      await importResults(
        deps,
        config.roundId,
        'skd',
        [
          'registration_no,twk,tiu,tkp',
          ...nos.map((no, i) => `${no},${65 + 5 * (i % 10)},${80 + 5 * (i % 7)},${166 + (i % 40)}`),
        ].join('\n'),
        'bench',
      );
      await jobsDone(1);
      await requestRanking(deps, config.roundId, 'skb_selection', 'bench');
      await jobsDone(2);
      await sleepTo(config.schedule.skbAt);
      await importSkb(deps, config.roundId);
      await jobsDone(3);
      await requestRanking(deps, config.roundId, 'final', 'bench');
      await jobsDone(4);
      await sleepTo(config.schedule.drhDeadline);
      const final = (await round.result()) as RoundState;
      const signalled = final.jobs.reduce((a, j) => a + (j.signalled ?? 0) + (j.skipped ?? 0), 0);
      return { events: (await round.fetchHistory()).events?.length ?? 0, signalled };
    });
  } finally {
    await env.teardown();
    await drop();
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const small = await roundHistory(arg('small', 20));
  const large = await roundHistory(arg('candidates', 2000));
  report({
    name: 'round-history',
    value: large.events,
    unit: 'events',
    baseline: small.events,
    ratio: Math.round((large.events / small.events) * 1000) / 1000,
    goal: 'the round history does not grow with the number of candidates (ratio 1)',
    candidates: arg('candidates', 2000),
    small_candidates: arg('small', 20),
    messages_sent_large: large.signalled,
    messages_sent_small: small.signalled,
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
