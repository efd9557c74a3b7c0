import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startHarness, type Harness } from '../helpers/harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppError } from '../../api/errors';
import type { ServiceDeps } from '../../api/services/deps';
import { addComment, criteriaVersions } from '../../api/services/consultation';
import { candidateStatus, candidateWorkflowStatus, submitDocuments } from '../../api/services/documents';
import { importResults, requestRanking } from '../../api/services/imports';
import { register } from '../../api/services/registrations';
import { extendDeadline, getRoundState } from '../../api/services/rounds';
import { verifyChain } from '../../db/audit';
import {
  candidateTimeline,
  exportRoundHistories,
  rederiveRound,
  replayHistories,
  roundWorkflowIds,
  verifyAll,
} from '../../api/services/audit';
import { loadRoundConfig } from '../../api/services/registrations';
import { announcement, announcementHtml, funnel } from '../../api/services/announcements';
import { sql } from 'kysely';
import type { Db } from '../../db/connection';
import { withDefaults } from '../../domain';
import type { recruitmentRound } from '../../workflows/round';
import {
  adoptCriteriaUpdate,
  candidateWorkflowId,
  roundStateQuery,
  roundWorkflowId,
  submitDrhUpdate,
  verifyDocumentsUpdate,
  type CandidateStatus,
  type JobRecord,
  type RoundJob,
  type RoundState,
} from '../../contracts';
import { sampleRound, wib } from '../fixtures';
import { comparableStatus, DAY, PERAWAT_DOCS, registration, reviewers, uploadAll } from '../helpers/candidates';
import { uniqueTaskQueue } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let db: Db;
let h: Harness;
let deps: ServiceDeps;
const taskQueue = uniqueTaskQueue('round-e2e');
const crashed: string[] = [];

beforeAll(async () => {
  // Small pages, and the batch activity crashes once halfway through the SKD notification.
  h = await startHarness(taskQueue, {
    activityDeps: {
      notifyPageSize: 3,
      faults: {
        afterWrite: async (what) => {
          if (what === 'notify:skd:2' && crashed.length === 0) {
            crashed.push(what);
            throw new Error('injected crash halfway through the batch');
          }
        },
      },
    },
  });
  ({ env, db, deps } = h);
  await reviewers(db, 2);
});
afterAll(async () => {
  await h?.stop();
});

const sleepUntil = async (instant: string, plusMs = 3_600_000): Promise<void> => {
  const ms = Date.parse(instant) + plusMs - (await env.currentTimeMs());
  if (ms > 0) await env.sleep(ms);
};

describe('a recruitment round through every phase with its candidates', () => {
  it('consultation → adoption → registration (extended) → verification → SKD import (batch crash) → SKB cut → SKB → final with optimalisasi → appointment', async () => {
    const roundId = `e2e-${Date.now().toString(36)}`;
    const perawat = {
      jabatan: 'Perawat Ahli Pertama',
      educationLevel: 'S1' as const,
      educationPrograms: ['Keperawatan', 'Ners'],
      category: 'umum' as const,
      extraDocuments: ['str' as const],
      skbMax: 500,
    };
    const config = withDefaults(
      sampleRound(
        roundId,
        {
          formations: [
            { formationId: 'DINKES-PERAWAT', unit: 'Dinas Kesehatan', quota: 2, ...perawat },
            { formationId: 'RSUD-PERAWAT', unit: 'RSUD dr. Pirngadi', quota: 2, ...perawat },
            {
              formationId: 'DISDIKBUD-GURU',
              unit: 'Dinas Pendidikan dan Kebudayaan',
              jabatan: 'Guru Ahli Pertama',
              educationLevel: 'S1',
              educationPrograms: ['Pendidikan Matematika'],
              quota: 1,
              category: 'umum',
              skbMax: 500,
            },
          ],
        },
        await env.currentTimeMs(),
      ),
    );
    const round = await env.client.workflow.start<typeof recruitmentRound>('recruitmentRound', {
      taskQueue,
      workflowId: roundWorkflowId(roundId),
      args: [{ config, createdBy: 'hr.test' }],
    });
    const state = (): Promise<RoundState> => round.query(roundStateQuery);
    /** Waits until the round has finished the job that `is` picks (announcements run between them). */
    const waitJob = async (is: (j: RoundJob) => boolean): Promise<JobRecord> => {
      await expect
        .poll(async () => (await state()).jobs.some((j) => is(j.job) && j.finishedAt), {
          timeout: 30_000,
          interval: 200,
        })
        .toBe(true);
      return (await state()).jobs.find((j) => is(j.job) && j.finishedAt)!;
    };
    const job = {
      schedule: (j: RoundJob) => j.kind === 'schedule',
      import: (exam: 'skd' | 'skb') => (j: RoundJob) => j.kind === 'import' && j.exam === exam,
      rank: (ranking: 'skb_selection' | 'final') => (j: RoundJob) => j.kind === 'rank' && j.ranking === ranking,
    };

    // Public consultation on the draft criteria, then adoption with a response.
    await sleepUntil(config.schedule.consultationOpens);
    await expect(
      addComment(deps, roundId, {
        author: 'Forum Perawat Medan',
        body: 'Mohon pengalaman kerja di puskesmas ikut dinilai.',
      }),
    ).resolves.toMatchObject({ commentId: expect.any(String) });
    await sleepUntil(config.schedule.consultationCloses);
    await expect(addComment(deps, roundId, { author: 'Warga', body: 'Terlambat' })).rejects.toMatchObject({
      code: 'WRONG_PHASE',
    });
    await round.executeUpdate(adoptCriteriaUpdate, {
      args: [
        {
          actor: 'hr.test',
          response: 'Wawancara perilaku kerja ditambahkan untuk formasi perawat Dinas Kesehatan.',
          formations: [
            {
              formationId: 'DINKES-PERAWAT',
              scoring: { skdWeight: 30, skbWeight: 50, criteria: [{ kind: 'interview', weight: 20, max: 100 }] },
            },
          ],
        },
      ],
    });
    expect((await criteriaVersions(deps, roundId)).map((v) => [v.version, v.status])).toEqual([
      [1, 'draft'],
      [2, 'adopted'],
    ]);

    // Registration.
    await sleepUntil(config.schedule.registrationOpens);
    await expect
      .poll(
        async () =>
          (await db.selectFrom('rounds').select('phase').where('round_id', '=', roundId).executeTakeFirstOrThrow())
            .phase,
      )
      .toBe('registration');
    const people: Record<string, string> = {};
    const enrol = async (key: string, formationId: string, overrides = {}): Promise<void> => {
      const r = await register(
        deps,
        roundId,
        registration({
          formationId,
          ...(formationId === 'DISDIKBUD-GURU'
            ? { education: { level: 'S1', program: 'Pendidikan Matematika', ipk: 340 } }
            : {}),
          ...overrides,
        }),
      );
      people[key] = r.registrationNo;
      const kinds = formationId === 'DISDIKBUD-GURU' ? PERAWAT_DOCS.filter((k) => k !== 'str') : PERAWAT_DOCS;
      await submitDocuments(deps, r.registrationNo, await uploadAll(deps, r.registrationNo, kinds));
    };
    for (const k of ['A1', 'A2', 'A3', 'A4', 'A5', 'A6']) await enrol(k, 'DINKES-PERAWAT');
    await enrol('R1', 'RSUD-PERAWAT');
    await enrol('G1', 'DISDIKBUD-GURU');
    await enrol('G2', 'DISDIKBUD-GURU');

    // HR extends registration; the candidates get the new deadline.
    const oldClose = config.schedule.registrationCloses;
    const newClose = wib(Date.parse(oldClose) + DAY);
    await extendDeadline(
      deps,
      roundId,
      { key: 'registrationCloses', to: newClose, reason: 'Perpanjangan karena gangguan jaringan' },
      'hr.test',
    );
    await waitJob(job.schedule);
    await sleepUntil(oldClose);
    expect((await candidateWorkflowStatus(deps, people.A1!)).stage).toBe('documents');

    // Verification: all MS except A6.
    await sleepUntil(newClose);
    for (const [key, no] of Object.entries(people)) {
      await expect.poll(async () => (await candidateWorkflowStatus(deps, no)).stage).toBe('verification');
      const s = await candidateWorkflowStatus(deps, no);
      const decisions = s.documents.map((d) =>
        key === 'A6' && d.kind === 'ijazah'
          ? { kind: d.kind, result: 'TMS' as const, reason: 'Ijazah tidak dilegalisasi' }
          : { kind: d.kind, result: 'MS' as const },
      );
      await env.client.workflow
        .getHandle(candidateWorkflowId(no))
        .executeUpdate(verifyDocumentsUpdate, { args: [{ reviewer: s.reviewer!, decisions }] });
    }

    // SKD: a bad file is refused whole with line numbers; nothing is stored.
    await sleepUntil(config.schedule.skdAt);
    const bad = `registration_no,twk,tiu,tkp\n${people.A1},200,100,100\n999999999999,65,80,166\n${people.A1},65,80,166\n${people.A6},65,80,166\n`;
    const err = await importResults(deps, roundId, 'skd', bad, 'hr.test').catch((e: AppError) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).statusCode).toBe(422);
    expect(
      ((err as AppError).details as { code: string; details: { line: number } }[]).map((d) => [d.code, d.details.line]),
    ).toEqual([
      ['SKD_SCORE_OUT_OF_RANGE', 2],
      ['UNKNOWN_REGISTRATION', 3],
      ['CSV_DUPLICATE', 4],
      ['NOT_IN_STAGE', 5],
    ]);
    expect(await db.selectFrom('exam_imports').select('import_id').where('round_id', '=', roundId).execute()).toEqual(
      [],
    );

    const skdCsv = [
      'registration_no,twk,tiu,tkp',
      `${people.A1},120,150,200`,
      `${people.A2},110,140,200`,
      `${people.A3},100,130,195`,
      `${people.A4},100,130,190`,
      `${people.A5},60,80,166`,
      `${people.R1},90,120,180`,
      `${people.G2},100,100,180`,
    ].join('\n');
    const imp = await importResults(deps, roundId, 'skd', skdCsv, 'hr.test');
    expect(imp).toMatchObject({ rows: 7, alreadyImported: false });
    expect(await importResults(deps, roundId, 'skd', skdCsv, 'hr.test')).toMatchObject({
      importId: imp.importId,
      alreadyImported: true,
    });
    await expect(
      importResults(deps, roundId, 'skd', skdCsv.replace(',120,150,200', ',125,150,200'), 'hr.test'),
    ).rejects.toMatchObject({ code: 'IMPORT_CONFLICT' });
    const skdJob = await waitJob(job.import('skd'));
    expect(crashed).toEqual(['notify:skd:2']); // the batch crashed once and resumed
    expect(skdJob.signalled! + skdJob.skipped!).toBeGreaterThanOrEqual(7); // resent ones to a finished candidate are skipped
    for (const key of ['A1', 'A2', 'A3', 'A4', 'R1', 'G2'])
      await expect
        .poll(async () => (await candidateWorkflowStatus(deps, people[key]!)).stage)
        .toBe('awaiting_skb_selection');
    // Each candidate recorded its SKD exactly once, whatever the batch sent twice.
    const skdRecords = await db
      .selectFrom('audit_log')
      .select(['subject'])
      .where('chain', '=', `round:${roundId}`)
      .where('action', '=', 'skd.recorded')
      .execute();
    expect(skdRecords.map((r) => r.subject).sort()).toEqual(
      [people.A1, people.A2, people.A3, people.A4, people.A5, people.R1, people.G2].sort(),
    );

    // SKB cut; G1 never sat SKD.
    await requestRanking(deps, roundId, 'skb_selection', 'hr.test');
    await waitJob(job.rank('skb_selection'));
    expect((await env.client.workflow.getHandle(candidateWorkflowId(people.G1!)).result()).outcome).toBe('skd_failed');
    for (const key of ['A1', 'A2', 'A3', 'A4', 'R1', 'G2'])
      await expect
        .poll(async () => (await candidateWorkflowStatus(deps, people[key]!)).stage)
        .toBe('awaiting_skb_score');

    // SKB (G2 absent), final ranking with optimalisasi of the vacant RSUD seat.
    await sleepUntil(config.schedule.skbAt);
    await expect(requestRanking(deps, roundId, 'final', 'hr.test')).rejects.toMatchObject({
      cause: { type: 'WRONG_PHASE', message: expect.stringMatching(/SKB belum diimpor/) },
    });
    const skbCsv = [
      'registration_no,skb,interview',
      `${people.A1},420,80`,
      `${people.A2},400,90`,
      `${people.A3},390,70`,
      `${people.A4},300,60`,
      `${people.R1},350,`,
    ].join('\n');
    await importResults(deps, roundId, 'skb', skbCsv, 'hr.test');
    await waitJob(job.import('skb'));
    await requestRanking(deps, roundId, 'final', 'hr.test');
    await waitJob(job.rank('final'));
    const finals = await db
      .selectFrom('rankings')
      .select(['registration_no', 'formation_id', 'rank', 'result', 'placement_formation_id'])
      .where('round_id', '=', roundId)
      .where('kind', '=', 'final')
      .orderBy('formation_id')
      .orderBy('rank')
      .execute();
    const byNo = Object.fromEntries(Object.entries(people).map(([k, v]) => [v, k]));
    expect(finals.map((f) => [byNo[f.registration_no], f.rank, f.result, f.placement_formation_id])).toEqual([
      ['A1', 1, 'lulus', null],
      ['A2', 2, 'lulus', null],
      ['A3', 3, 'lulus_optimalisasi', 'RSUD-PERAWAT'],
      ['A4', 4, 'tidak_lulus', null],
      ['R1', 1, 'lulus', null],
    ]);
    expect((await env.client.workflow.getHandle(candidateWorkflowId(people.G2!)).result()).outcome).toBe('tidak_lulus');

    // Appointment.
    for (const key of ['A1', 'A2', 'A3', 'R1']) {
      await expect.poll(async () => (await candidateWorkflowStatus(deps, people[key]!)).stage).toBe('appointment');
      await env.client.workflow
        .getHandle(candidateWorkflowId(people[key]!))
        .executeUpdate(submitDrhUpdate, { args: [{ drh: { alamat: 'Medan' } }] });
    }
    await sleepUntil(config.schedule.drhDeadline);
    const final = await round.result();
    expect(final.phase).toBe('closed');
    // Each announcement went to the candidates still in the selection, with the instant its phase began.
    const announcements = final.jobs.flatMap((j) =>
      j.job.kind === 'announcement' ? [{ ...j.job, n: j.signalled }] : [],
    );
    const began = (phase: string) => final.phases.find((p) => p.phase === phase)!.at;
    expect(announcements).toEqual([
      { kind: 'announcement', announcement: 'administrasi', at: began('announcement'), n: 9 },
      { kind: 'announcement', announcement: 'skd_participants', at: began('skd'), n: 8 },
      // Those still in the selection then (here the winners filed their DRH before it and were appointed).
      { kind: 'announcement', announcement: 'final', at: began('final_announcement'), n: expect.any(Number) },
    ]);
    // The API's read of the round (PostgreSQL) says what the workflow itself ended with; a job's
    // finish time is the activity's, a moment before the workflow's own.
    const read = await getRoundState(deps, roundId);
    const withoutFinish = (s: RoundState) => ({
      ...s,
      jobs: s.jobs.map((j) => ({ ...j, finishedAt: j.finishedAt !== null })),
    });
    expect(withoutFinish(read)).toEqual(withoutFinish(final));
    read.jobs.forEach((j, i) =>
      expect(Date.parse(j.finishedAt!)).toBeLessThanOrEqual(Date.parse(final.jobs[i]!.finishedAt!) + 1_000),
    );
    const outcomes = Object.fromEntries(
      await Promise.all(
        Object.entries(people).map(async ([k, no]) => [
          k,
          (await env.client.workflow.getHandle(candidateWorkflowId(no)).result()).outcome,
        ]),
      ),
    );
    // The API's read of each candidate (PostgreSQL) says what its workflow ended with.
    for (const no of Object.values(people)) {
      const ended = (await env.client.workflow.getHandle(candidateWorkflowId(no)).result()) as CandidateStatus;
      expect(comparableStatus(await candidateStatus(deps, no)), no).toEqual(comparableStatus(ended));
    }
    expect(outcomes).toEqual({
      A1: 'appointed',
      A2: 'appointed',
      A3: 'appointed',
      A4: 'tidak_lulus',
      A5: 'skd_failed',
      A6: 'tms',
      R1: 'appointed',
      G1: 'skd_failed',
      G2: 'tidak_lulus',
    });
    expect(
      (
        await db
          .selectFrom('appointments')
          .select('formation_id')
          .where('registration_no', '=', people.A3!)
          .executeTakeFirstOrThrow()
      ).formation_id,
    ).toBe('RSUD-PERAWAT');
    expect((await verifyChain(db, `round:${roundId}`)).ok).toBe(true);
    const history = await round.fetchHistory();
    console.log(`[history] round with ${Object.keys(people).length} candidates: ${history.events?.length} events`);

    // Public announcements: masked NIKs, JSON and a printable page; the funnel from SQL.
    const ann = await announcement(deps, roundId, 'final');
    expect(ann.rows.map((r) => r.result)).toEqual(['lulus', 'lulus', 'lulus_optimalisasi', 'tidak_lulus', 'lulus']);
    expect(ann.rows.every((r) => /^\d{4}\*{8}\d{4}$/.test(r.nik))).toBe(true);
    const page = announcementHtml(ann);
    expect(page).toContain('Pengumuman Hasil Akhir Seleksi');
    expect(page).toContain('Lulus (Optimalisasi)');
    const rawNiks = await db.selectFrom('applications').select('nik').where('round_id', '=', roundId).execute();
    for (const { nik } of rawNiks) expect(page).not.toContain(nik);
    expect((await announcement(deps, roundId, 'administrasi')).rows.filter((r) => r.result === 'TMS')).toHaveLength(1);
    expect(await funnel(deps, roundId)).toEqual({
      registered: 9,
      ms: 8,
      skdPassed: 6,
      skbSelected: 6,
      lulus: 4,
      appointed: 4,
    });

    // Auditors: every decision re-derived from the recorded inputs matches what was published.
    const re = await rederiveRound(db, (await loadRoundConfig(deps, roundId)).config);
    expect(re.differences).toEqual([]);
    expect(re.checked).toMatchObject({ skd: 7, skbSelection: 6, final: 5, nip: 4 });
    // Every history of the round replays on the current code: the round, its 9 candidates and the
    // careers of the 4 it appointed.
    const ids = await roundWorkflowIds(db, roundId);
    expect(ids.filter((id) => id.startsWith('career/'))).toHaveLength(4);
    const replays = await replayHistories(deps, ids, inject('bundlePath'));
    expect(replays.filter((r) => !r.ok)).toEqual([]);
    expect(replays).toHaveLength(14);
    // The NDJSON bundle holds one line per workflow.
    let lines = 0;
    for await (const line of exportRoundHistories(deps, roundId)) lines += line.endsWith('\n') ? 1 : 0;
    expect(lines).toBe(14);
    // A readable timeline for a candidate, from the history.
    const timeline = await candidateTimeline(deps, people.A6!);
    expect(timeline.map((t) => t.peristiwa)).toEqual(
      expect.arrayContaining([
        'Pendaftaran diterima; proses seleksi dimulai',
        'Pelamar mengirim dokumen',
        'Verifikator memutus hasil administrasi',
        'Proses selesai: tms',
      ]),
    );
    expect(timeline.find((t) => t.peristiwa === 'Verifikator memutus hasil administrasi')!.alasan).toMatch(
      /ijazah: TMS \(Ijazah tidak dilegalisasi\)/,
    );
    // Signed heads: the round's chain and every appointed career's verify against their histories.
    const verified = await verifyAll(deps, roundId);
    expect(verified.allOk, JSON.stringify([verified.round, ...verified.careers].flatMap((c) => c.problems))).toBe(true);
    expect(verified.round.anchor?.status).toBe('intact');
    expect(verified.careers).toHaveLength(4);
    // Anchored after each phase change and after each of the two rankings.
    const anchoredPhases = (
      await db
        .selectFrom('audit_log')
        .select('seq')
        .where('chain', '=', `round:${roundId}`)
        .where('action', '=', 'round.phase')
        .execute()
    ).length;
    console.log(`[anchors] ${verified.round.anchor?.checkpoints} signed heads, ${anchoredPhases} phase changes`);
    expect(verified.round.anchor!.checkpoints).toBeGreaterThanOrEqual(anchoredPhases + 2);
    // Tamper-evident: an edit made directly in SQL is found, and the first broken row is named.
    const victim = await db
      .selectFrom('audit_log')
      .select(['id', 'seq'])
      .where('chain', '=', `round:${roundId}`)
      .where('action', '=', 'verification.decided')
      .orderBy('seq')
      .limit(1)
      .executeTakeFirstOrThrow();
    await sql`update audit_log set reason = 'diubah diam-diam' where id = ${victim.id}`.execute(db);
    expect(await verifyChain(db, `round:${roundId}`)).toMatchObject({
      ok: false,
      firstBroken: { seq: victim.seq, problem: 'edited_row' },
    });
    // And a changed published rank shows up in the re-derivation with both values.
    await db
      .updateTable('rankings')
      .set({ rank: 9 })
      .where('kind', '=', 'final')
      .where('registration_no', '=', people.A2!)
      .execute();
    const again = await rederiveRound(db, (await loadRoundConfig(deps, roundId)).config);
    expect(again.differences).toContainEqual({
      what: 'Peringkat akhir',
      registrationNo: people.A2,
      published: 9,
      rederived: 2,
    });
  }, 120_000);
});
