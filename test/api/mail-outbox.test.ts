import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCandidateActivities } from '../../activities/candidate';
import { announcementTopic, formatWib, notify } from '../../activities/notifications';
import { createRoundActivities } from '../../activities/round';
import type { Db } from '../../db/connection';
import { enqueueMail, messageIdFor, startMailDispatcher } from '../../db/mail';
import { nikFor, openRound } from '../helpers/candidates';
import { startMailSink, type MailSink } from '../helpers/mail';
import { spawnTs } from '../helpers/processes';
import { isolatedDb } from '../helpers/temporal';

// A database of this file's own: the dispatcher processes below send every due row they find.
let iso: Awaited<ReturnType<typeof isolatedDb>>;
let db: Db;
let sink: MailSink;
let roundId: string;
let counter = 0;

beforeAll(async () => {
  iso = await isolatedDb();
  db = iso.db;
  sink = await startMailSink();
  roundId = `mail-${process.pid}-${Date.now().toString(36)}`;
  await openRound(db, Date.now(), roundId);
});
afterAll(async () => {
  await sink?.stop();
  await iso?.drop();
});

/** An application row as registration writes it (the outbox tests need no workflow). */
async function application(email: string): Promise<string> {
  counter += 1;
  const registrationNo = `2025${String(process.pid % 10000).padStart(4, '0')}${String(counter).padStart(4, '0')}`;
  await db
    .insertInto('applications')
    .values({
      registration_no: registrationNo,
      round_id: roundId,
      formation_id: 'DINKES-PERAWAT',
      budget_year: 2025,
      nik: nikFor('1996-04-12', 'P'),
      full_name: 'Siti Aminah Lubis',
      birth_date: '1996-04-12',
      sex: 'P',
      email,
      category: 'umum',
      education_level: 'S1',
      education_program: 'Keperawatan',
      ipk: 351,
      prior_predikat: null,
      nik_warnings: '[]',
      stage: 'awaiting_skd',
      outcome: null,
      registered_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
      idempotency_key_hash: null,
    })
    .execute();
  return registrationNo;
}

const outbox = (dedupeKey: string) =>
  db.selectFrom('mail_outbox').selectAll().where('dedupe_key', '=', dedupeKey).execute();

describe('mail outbox: PostgreSQL and the SMTP sink as its own process', () => {
  it("writes the mail in the event's transaction: a rolled-back event leaves no mail, a committed one leaves one", async () => {
    const no = await application(`rollback-${counter}@example.id`);
    const at = new Date().toISOString();
    await expect(
      db.transaction().execute(async (trx) => {
        await trx
          .insertInto('skd_scores')
          .values({
            registration_no: no,
            twk: 100,
            tiu: 100,
            tkp: 180,
            total: 380,
            passed: true,
            passing_group: 'umum',
            reused_from_year: null,
            recorded_at: at,
          })
          .execute();
        await notify.skd(trx, {
          registrationNo: no,
          twk: 100,
          tiu: 100,
          tkp: 180,
          passed: true,
          reusedFromYear: null,
          at,
        });
        throw new Error('the event fails after its mail was written');
      }),
    ).rejects.toThrow('the event fails');
    expect(await outbox(`skd:${no}:${at}`)).toEqual([]);

    // The activity that records the SKD result: score and mail together.
    await createCandidateActivities({ db }).recordSkd({
      registrationNo: no,
      roundId,
      at,
      scores: { twk: 100, tiu: 100, tkp: 180 },
      passed: true,
      passingGroup: 'umum',
      reusedFromYear: null,
    });
    const rows = await outbox(`skd:${no}:${at}`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.subject).toMatch(/^Hasil SKD: memenuhi nilai ambang batas/);
    expect(rows[0]!.text).toContain('Nilai TWK 100, TIU 100, TKP 180; jumlah 380');
  });

  it('a retried activity does not enqueue its mail twice (dedupe key)', async () => {
    const no = await application(`retry-${counter}@example.id`);
    const input = { registrationNo: no, roundId, at: new Date().toISOString(), selected: true, skdRank: 4 };
    const acts = createCandidateActivities({ db });
    await acts.recordSkbSelection(input);
    await acts.recordSkbSelection(input); // the retry after a crash between the commit and the completion
    const rows = await outbox(`skb-selection:${no}`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.text).toContain('Anda LOLOS ke Seleksi Kompetensi Bidang (SKB) dengan peringkat SKD 4');
    expect(
      await db
        .transaction()
        .execute((trx) =>
          enqueueMail(trx, { to: 'x@example.id', subject: 's', text: 't', dedupeKey: `skb-selection:${no}` }),
        ),
    ).toBe(false);
  });

  it("the dispatcher delivers to the sink with the row's Message-ID and marks it sent; a failed send is retried with backoff", async () => {
    const email = `deliver-${Date.now()}@example.id`;
    const no = await application(email);
    await db.transaction().execute((trx) =>
      notify.appointed(trx, {
        registrationNo: no,
        nip: '199604122025082001',
        tmt: '2025-09-01',
        skNumber: `800/${no}/SK-CPNS/2025`,
      }),
    );
    const [row] = await outbox(`appointed:${no}`);
    expect(row!.message_id).toBe(messageIdFor(`appointed:${no}`));

    // SMTP unreachable: the row stays, with the error and a later attempt.
    const down = startMailDispatcher(
      { db, smtpUrl: 'smtp://127.0.0.1:9', from: 'BKPSDM <no-reply@example.id>', backoff: { baseMs: 300, maxMs: 300 } },
      { loop: false },
    );
    expect(await down.runOnce()).toBe(0);
    await down.stop();
    const failed = (await outbox(`appointed:${no}`))[0]!;
    expect(failed.sent_at).toBeNull();
    expect(failed.attempts).toBe(1);
    expect(failed.last_error).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
    expect(failed.next_attempt_at.getTime()).toBeGreaterThan(Date.now() - 1_000);

    const up = startMailDispatcher({ db, smtpUrl: sink.smtpUrl, from: 'BKPSDM <no-reply@example.id>', pollMs: 100 });
    const mail = await sink.waitForMail((m) => m.to.includes(email));
    await expect.poll(async () => (await outbox(`appointed:${no}`))[0]!.sent_at, { timeout: 30_000 }).not.toBeNull();
    await up.stop();
    expect(mail.messageId).toBe(row!.message_id);
    expect(mail.subject).toBe(`NIP dan SK CPNS ditetapkan — ${no}`);
    expect(mail.text).toContain('NIP: 199604122025082001');
    expect(mail.text).toContain('Terhitung mulai tanggal (TMT): 1 September 2025');
    const sent = (await outbox(`appointed:${no}`))[0]!;
    expect(sent.attempts).toBe(2);
    expect(sent.last_error).toBeNull();
  });

  it('a dispatcher killed between the send and the mark loses nothing and delivers one Message-ID', async () => {
    const email = `crash-${Date.now()}@example.id`;
    const no = await application(email);
    await db.transaction().execute((trx) =>
      notify.sanggahAnswered(trx, {
        registrationNo: no,
        stage: 'skd',
        accepted: false,
        answer: 'Nilai sudah diperiksa ulang dan sesuai dengan hasil CAT.',
      }),
    );
    // Everything else in this database is already sent: the paused send is this row's.
    await db
      .updateTable('mail_outbox')
      .set({ sent_at: new Date() })
      .where('dedupe_key', '!=', `sanggah-answered:${no}:skd`)
      .where('sent_at', 'is', null)
      .execute();
    const env = { DATABASE_URL: iso.url, SMTP_URL: sink.smtpUrl, MAIL_POLL_MS: '100', MAIL_LEASE_MS: '1000' };

    const first = spawnTs('scripts/mail-dispatcher.ts', { ...env, ASN_FAULT_PAUSE_AFTER_SEND: '1' });
    await first.waitFor(/FAULT_PAUSED mail \d+/, 60_000);
    await first.kill('SIGKILL');
    const [pending] = await outbox(`sanggah-answered:${no}:skd`);
    expect(pending!.sent_at).toBeNull(); // sent, not marked: the crash window
    expect(pending!.attempts).toBe(1);
    const delivered = await sink.waitForMail((m) => m.to.includes(email));
    expect(delivered.duplicates).toBe(0);

    const second = spawnTs('scripts/mail-dispatcher.ts', env);
    try {
      await expect
        .poll(async () => (await outbox(`sanggah-answered:${no}:skd`))[0]!.sent_at, { timeout: 60_000 })
        .not.toBeNull();
    } finally {
      await second.kill('SIGTERM');
    }
    const mails = await sink.messages(email);
    expect(mails).toHaveLength(1); // one mail in the box
    expect(mails[0]!.messageId).toBe(pending!.message_id);
    expect(mails[0]!.duplicates).toBe(1); // the resend arrived under the same Message-ID and was recognised
    expect((await outbox(`sanggah-answered:${no}:skd`))[0]!.attempts).toBe(2);
  });

  it('dispatchers running side by side (several workers) send each row once', async () => {
    const tag = `pair-${Date.now().toString(36)}`;
    await db.transaction().execute(async (trx) => {
      for (let k = 0; k < 30; k++)
        await enqueueMail(trx, {
          to: `${tag}-${k}@example.id`,
          subject: `Uji ${k}`,
          text: 'Isi',
          dedupeKey: `${tag}:${k}`,
        });
    });
    const from = 'BKPSDM <no-reply@example.id>';
    const a = startMailDispatcher({ db, smtpUrl: sink.smtpUrl, from, batch: 4 }, { loop: false });
    const b = startMailDispatcher({ db, smtpUrl: sink.smtpUrl, from, batch: 4 }, { loop: false });
    let sent = 0;
    for (let round = 0; round < 20 && sent < 30; round++)
      sent += (await Promise.all([a.runOnce(), b.runOnce()])).reduce((x, y) => x + y, 0);
    await a.stop();
    await b.stop();
    expect(sent).toBe(30);
    const mine = (await sink.messages()).filter((m) => m.to.some((t) => t.startsWith(`${tag}-`)));
    expect(mine).toHaveLength(30);
    expect(mine.every((m) => m.duplicates === 0)).toBe(true);
    const rows = await db
      .selectFrom('mail_outbox')
      .select(['attempts', 'sent_at'])
      .where('dedupe_key', 'like', `${tag}:%`)
      .execute();
    expect(rows.every((r) => r.attempts === 1 && r.sent_at !== null)).toBe(true);
  });

  it('a postponed announcement moves the mails that wait for it, with the dates they quote', async () => {
    const no = await application(`postponed-${counter}@example.id`);
    const round = await db
      .selectFrom('rounds')
      .select('config')
      .where('round_id', '=', roundId)
      .executeTakeFirstOrThrow();
    const from = (round.config as { schedule: { announcementAt: string } }).schedule.announcementAt;
    const to = new Date(Date.parse(from) + 3 * 86_400_000).toISOString();
    await db.transaction().execute((trx) =>
      notify.administrasi(trx, {
        registrationNo: no,
        result: 'TMS',
        reasons: ['str: STR kedaluwarsa'],
        at: new Date().toISOString(),
      }),
    );
    const [before] = await outbox(`administrasi:${no}`);
    expect(before!.topic).toBe(announcementTopic(roundId));
    expect(before!.next_attempt_at.getTime()).toBe(Date.parse(from));
    expect(before!.text).toContain(`${formatWib(from)} sampai`);

    await createRoundActivities({ db }).recordDeadlineChange({
      roundId,
      seq: 900 + counter,
      change: {
        key: 'announcementAt',
        from,
        to,
        actor: 'hr.test',
        reason: 'ruang ujian belum siap',
        at: new Date().toISOString(),
      },
    });
    const [after] = await outbox(`administrasi:${no}`);
    expect(after!.next_attempt_at.getTime()).toBe(Date.parse(to));
    expect(after!.text).toContain(`${formatWib(to)} sampai ${formatWib(Date.parse(to) + 3 * 86_400_000)}`);
    expect(after!.text).not.toContain(formatWib(from));
  });

  it('shows the mails as an HTML list and as JSON', async () => {
    const html = await (await fetch(sink.url)).text();
    expect(html).toContain('<html lang="id">');
    expect(html).toContain('NIP dan SK CPNS ditetapkan');
    const res = await fetch(`${sink.url}api/messages/99999`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });
});
