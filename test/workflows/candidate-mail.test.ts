import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announcementTopic, formatWib } from '../../activities/notifications';
import type { ServiceDeps } from '../../api/services/deps';
import { candidateWorkflowStatus, submitDocuments } from '../../api/services/documents';
import type { Db } from '../../db/connection';
import { startMailDispatcher, type Dispatcher } from '../../db/mail';
import type { RoundConfig } from '../../domain';
import type { candidate } from '../../workflows/candidate';
import {
  answerSanggahUpdate,
  candidateWorkflowId,
  fileSanggahUpdate,
  finalResultSignal,
  skbScoreSignal,
  skbSelectionSignal,
  roundAnnouncedSignal,
  skdResultSignal,
  submitDrhUpdate,
  verifyDocumentsUpdate,
  type CandidateStatus,
} from '../../contracts';
import { openRound, PERAWAT_DOCS, registerCandidate, reviewers, uploadAll } from '../helpers/candidates';
import { startHarness, type Harness } from '../helpers/harness';
import { startMailSink, type MailSink } from '../helpers/mail';
import { uniqueTaskQueue } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let db: Db;
let h: Harness;
let deps: ServiceDeps;
let sink: MailSink;
let dispatcher: Dispatcher;
const taskQueue = uniqueTaskQueue('mail');

beforeAll(async () => {
  h = await startHarness(taskQueue);
  ({ env, db, deps } = h);
  await reviewers(db, 1);
  sink = await startMailSink();
  // The worker's dispatcher, in this process, sending to the sink process.
  dispatcher = startMailDispatcher({
    db,
    smtpUrl: sink.smtpUrl,
    from: '"BKPSDM Kota Medan" <no-reply@seleksi-asn.medan.localhost>',
    pollMs: 200,
  });
});
afterAll(async () => {
  await dispatcher?.stop();
  await sink?.stop();
  await h?.stop();
});

let n = 0;
async function newRound(): Promise<RoundConfig> {
  n += 1;
  return openRound(db, await env.currentTimeMs(), `mailwf-${process.pid}-${n}-${Date.now().toString(36)}`);
}
const handleOf = (no: string) => env.client.workflow.getHandle<typeof candidate>(candidateWorkflowId(no));
const status = (no: string): Promise<CandidateStatus> => candidateWorkflowStatus(deps, no);
const reached = (no: string, stage: string): Promise<void> =>
  expect.poll(async () => (await status(no)).stage, { timeout: 30_000 }).toBe(stage);
const sleepUntil = async (instant: string, plusMs = 60_000): Promise<void> => {
  const ms = Date.parse(instant) + plusMs - (await env.currentTimeMs());
  if (ms > 0) await env.sleep(ms);
};
const mailFor = (email: string, subject: RegExp) =>
  sink.waitForMail((m) => m.to.includes(email) && subject.test(m.subject));
const outboxOf = (no: string) =>
  db.selectFrom('mail_outbox').selectAll().where('dedupe_key', 'like', `%:${no}%`).orderBy('id').execute();

/** Registration → documents → registration closes → the reviewer decides. */
async function throughVerification(config: RoundConfig, email: string, tms: boolean): Promise<string> {
  const { registrationNo } = await registerCandidate(deps, config.roundId, { email });
  await submitDocuments(deps, registrationNo, await uploadAll(deps, registrationNo, PERAWAT_DOCS));
  await sleepUntil(config.schedule.registrationCloses);
  const s = await status(registrationNo);
  expect(s.stage).toBe('verification');
  await handleOf(registrationNo).executeUpdate(verifyDocumentsUpdate, {
    args: [
      {
        reviewer: s.reviewer!,
        decisions: s.documents.map((d) =>
          tms && d.kind === 'str'
            ? { kind: d.kind, result: 'TMS' as const, reason: 'STR kedaluwarsa' }
            : { kind: d.kind, result: 'MS' as const },
        ),
      },
    ],
  });
  return registrationNo;
}

describe('a candidate driven through the workflow gets the mails of its events', () => {
  it('registration, the administrasi result held until the announcement, the sanggah window and its answer, the SKD result', async () => {
    const config = await newRound();
    const email = `tms-${process.pid}-${Date.now().toString(36)}@example.id`;
    const no = await throughVerification(config, email, true);

    const registered = await mailFor(email, /^Pendaftaran diterima/);
    expect(registered.subject).toBe(`Pendaftaran diterima — ${no}`);
    expect(registered.text).toContain('Perawat Ahli Pertama pada Dinas Kesehatan');
    expect(registered.text).toContain(formatWib(config.schedule.registrationCloses));
    expect(registered.text).toMatch(/WIB/);

    // The TMS result waits for the announcement; the round announces (roundAnnounced, at its
    // scheduled instant) and the sanggah window opens then: both mails held till it (written, not sent).
    await reached(no, 'sanggah');
    await handleOf(no).signal(roundAnnouncedSignal, {
      announcement: 'administrasi',
      at: config.schedule.announcementAt,
      phaseKey: 'announce-administrasi',
    });
    const heldOf = async () => (await outboxOf(no)).filter((r) => r.topic === announcementTopic(config.roundId));
    await expect.poll(async () => (await heldOf()).length, { timeout: 30_000 }).toBe(2);
    const held = await heldOf();
    expect(held.map((r) => r.dedupe_key.split(':')[0]).sort()).toEqual(['administrasi', 'sanggah-opened']);
    for (const r of held) {
      expect(r.sent_at).toBeNull();
      expect(r.next_attempt_at.toISOString()).toBe(new Date(config.schedule.announcementAt).toISOString());
    }
    expect((await sink.messages(email)).map((m) => m.subject)).toEqual([registered.subject]);

    // The announcement's time comes (the test server's clock is ahead of PostgreSQL's): due now.
    await db
      .updateTable('mail_outbox')
      .set({ next_attempt_at: new Date() })
      .where('topic', '=', announcementTopic(config.roundId))
      .execute();
    const adm = await mailFor(email, /^Hasil seleksi administrasi/);
    expect(adm.subject).toBe(`Hasil seleksi administrasi: Tidak Memenuhi Syarat — ${no}`);
    expect(adm.text).toContain('Anda TIDAK MEMENUHI SYARAT (TMS)');
    expect(adm.text).toContain('- str: STR kedaluwarsa');
    const closes = formatWib(Date.parse(config.schedule.announcementAt) + config.schedule.sanggahDays * 86_400_000);
    expect(adm.text).toContain(`${formatWib(config.schedule.announcementAt)} sampai ${closes}`);
    const opened = await mailFor(email, /^Masa sanggah/);
    expect(opened.subject).toBe(`Masa sanggah seleksi administrasi dibuka — ${no}`);
    expect(opened.text).toContain(`paling lambat ${closes}`);

    await sleepUntil(config.schedule.announcementAt);
    const hd = handleOf(no);
    await hd.executeUpdate(fileSanggahUpdate, {
      args: [{ reason: 'STR saya masih berlaku sampai 2027, terlampir salinan perpanjangannya.' }],
    });
    await expect
      .poll(
        async () =>
          (await status(no)).reviewer &&
          (await db
            .selectFrom('tasks')
            .select('task_id')
            .where('registration_no', '=', no)
            .where('kind', '=', 'sanggah')
            .executeTakeFirst()),
        { timeout: 30_000 },
      )
      .toBeTruthy();
    const waiting = await status(no);
    await hd.executeUpdate(answerSanggahUpdate, {
      args: [{ reviewer: waiting.reviewer!, accepted: true, answer: 'Verifikator keliru membaca masa berlaku STR' }],
    });
    const answered = await mailFor(email, /^Jawaban sanggah/);
    expect(answered.subject).toBe(`Jawaban sanggah seleksi administrasi: diterima — ${no}`);
    expect(answered.text).toContain('Verifikator keliru membaca masa berlaku STR');

    await reached(no, 'awaiting_skd');
    await hd.signal(skdResultSignal, { phaseKey: 'skd', scores: { twk: 100, tiu: 120, tkp: 200 } });
    const skd = await mailFor(email, /^Hasil SKD/);
    expect(skd.text).toContain('MEMENUHI nilai ambang batas');
    expect(skd.text).toContain('Nilai TWK 100, TIU 120, TKP 200; jumlah 420');

    // Each mail once, under its own Message-ID.
    const all = await sink.messages(email);
    expect(all.map((m) => m.subject.split(' — ')[0]).sort()).toEqual([
      'Hasil SKD: memenuhi nilai ambang batas',
      'Hasil seleksi administrasi: Tidak Memenuhi Syarat',
      'Jawaban sanggah seleksi administrasi: diterima',
      'Masa sanggah seleksi administrasi dibuka',
      'Pendaftaran diterima',
    ]);
    expect(new Set(all.map((m) => m.messageId)).size).toBe(all.length);
    expect(all.every((m) => m.duplicates === 0)).toBe(true);
  });

  it('MS → SKB → lulus: the final result opens the DRH (a reminder waits, cancelled by the DRH) and the NIP arrives', async () => {
    const config = await newRound();
    const email = `lulus-${process.pid}-${Date.now().toString(36)}@example.id`;
    const no = await throughVerification(config, email, false);
    const hd = handleOf(no);
    await reached(no, 'awaiting_skd');
    await hd.signal(skdResultSignal, { phaseKey: 'skd', scores: { twk: 100, tiu: 120, tkp: 200 } });
    await reached(no, 'awaiting_skb_selection');
    await hd.signal(skbSelectionSignal, { phaseKey: 'skb-selection', selected: true, skdRank: 2 });
    await reached(no, 'awaiting_skb_score');
    await hd.signal(skbScoreSignal, { phaseKey: 'skb-score', score: 400 });
    await reached(no, 'awaiting_final');
    await hd.signal(finalResultSignal, {
      phaseKey: 'final',
      result: 'lulus',
      scaled: 785454,
      scale: 10000,
      display: '78,54',
      rank: 1,
      placementFormationId: null,
      breakdown: [],
    });
    await reached(no, 'appointment');

    const final = await mailFor(email, /^Hasil akhir seleksi/);
    expect(final.subject).toBe(`Hasil akhir seleksi: LULUS — ${no}`);
    expect(final.text).toContain('Nilai akhir (integrasi SKD dan SKB) 78,54, peringkat 1');
    expect(final.text).toContain(`paling lambat ${formatWib(config.schedule.drhDeadline)}`);
    const reminder = (await outboxOf(no)).find((r) => r.topic === `drh-reminder:${no}`)!;
    expect(reminder.sent_at).toBeNull();
    expect(reminder.next_attempt_at.getTime()).toBe(Date.parse(config.schedule.drhDeadline) - 2 * 86_400_000);

    await hd.executeUpdate(submitDrhUpdate, { args: [{ drh: { alamat: 'Jl. Kapten Maulana Lubis No. 2, Medan' } }] });
    const nip = await mailFor(email, /^NIP dan SK CPNS/);
    const s = await status(no);
    expect(s.nip).toBeTruthy();
    expect(nip.text).toContain(`NIP: ${s.nip}`);
    const cancelled = (await outboxOf(no)).find((r) => r.topic === `drh-reminder:${no}`)!;
    expect(cancelled.cancelled_at).not.toBeNull();
    expect(cancelled.sent_at).toBeNull();
    expect((await sink.messages(email)).some((m) => m.subject.startsWith('Pengingat'))).toBe(false);
  });
});
