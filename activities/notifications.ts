/**
 * The candidate's e-mails, in Bahasa Indonesia, from the Eta templates in mail/templates. Each
 * function is called inside the transaction that records its event (activities/candidate.ts,
 * api/services/registrations.ts) and writes one outbox row through enqueueMail, keyed so that a
 * retried activity writes nothing new. Deadlines are shown in WIB. The API and the activities
 * both import this module.
 */
import { join } from 'node:path';
import { Eta } from 'eta';
import { sql } from 'kysely';
import { ROOT } from '../config';
import { cancelTopic, enqueueMail, type MailInput } from '../db/mail';
import type { Db } from '../db/connection';
import type { RoundConfig } from '../domain';

/** A connection inside the caller's transaction. */
type Trx = Db;

const eta = new Eta({
  views: join(ROOT, 'mail', 'templates'),
  autoEscape: false,
  autoTrim: false,
  defaultExtension: '.eta',
  cache: true,
});

const DAY_MS = 86_400_000;
/** The DRH reminder goes out this many (round) days before the deadline. */
export const DRH_REMINDER_DAYS = 2;

const WIB = new Intl.DateTimeFormat('id-ID', {
  timeZone: 'Asia/Jakarta',
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});
const DATE = new Intl.DateTimeFormat('id-ID', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' });

/** "Senin, 12 Mei 2025 pukul 09.00 WIB". */
export function formatWib(instant: string | number | Date): string {
  return `${WIB.format(new Date(instant))} WIB`;
}
/** A civil date 'YYYY-MM-DD' as "1 Agustus 2025". */
export function formatDate(isoDate: string): string {
  return DATE.format(new Date(`${isoDate}T00:00:00Z`));
}

export const portalUrl = (): string =>
  `${(process.env.ASN_PUBLIC_URL ?? `http://${process.env.API_HOST ?? '127.0.0.1'}:${process.env.API_PORT ?? 3000}`).replace(/\/+$/, '')}/portal`;

export type SanggahStageName = 'administrasi' | 'skd' | 'final';
const STAGE_LABEL: Record<SanggahStageName, string> = {
  administrasi: 'seleksi administrasi',
  skd: 'Seleksi Kompetensi Dasar (SKD)',
  final: 'seleksi akhir',
};
const FINAL_LABEL: Record<string, string> = {
  lulus: 'LULUS',
  lulus_optimalisasi: 'LULUS melalui optimalisasi formasi',
  tidak_lulus: 'TIDAK LULUS',
};

export interface Recipient {
  registrationNo: string;
  roundId: string;
  email: string;
  name: string;
  jabatan: string;
  unit: string;
  config: MailRoundConfig;
}

/** What the mails quote of the round's configuration (a whole configuration has every formation). */
export type MailRoundConfig = Pick<RoundConfig, 'name' | 'agency' | 'schedule' | 'sanggahStages' | 'simulation'>;

async function recipient(trx: Trx, registrationNo: string): Promise<Recipient> {
  const r = await trx
    .selectFrom('applications as a')
    .innerJoin('rounds as r', 'r.round_id', 'a.round_id')
    .innerJoin('formations as f', (j) =>
      j.onRef('f.round_id', '=', 'a.round_id').onRef('f.formation_id', '=', 'a.formation_id'),
    )
    .select(['a.registration_no', 'a.round_id', 'a.email', 'a.full_name', 'f.jabatan', 'f.unit'])
    // Only the keys the mails read: a round's configuration lists every formation, and each mail
    // would read and parse all of it.
    .select(
      sql<MailRoundConfig>`jsonb_build_object('name', r.config->'name', 'agency', r.config->'agency',
        'schedule', r.config->'schedule', 'sanggahStages', r.config->'sanggahStages',
        'simulation', r.config->'simulation')`.as('config'),
    )
    .where('a.registration_no', '=', registrationNo)
    .executeTakeFirstOrThrow();
  return {
    registrationNo: r.registration_no,
    roundId: r.round_id,
    email: r.email,
    name: r.full_name,
    jabatan: r.jabatan,
    unit: r.unit,
    config: r.config,
  };
}

const dayMs = (c: Pick<RoundConfig, 'simulation'>): number => c.simulation?.dayMs ?? DAY_MS;

interface Message {
  template: string;
  subject: string;
  data: Record<string, unknown>;
  dedupeKey: string;
  topic?: string;
  notBefore?: string | Date;
}

/** A message to one recipient, rendered in its layout (no write). */
function compose(who: Recipient, m: Message): MailInput {
  const body = eta.render(m.template, m.data).trim();
  const text =
    eta
      .render('_layout', {
        body,
        name: who.name,
        registrationNo: who.registrationNo,
        roundName: who.config.name,
        agency: who.config.agency,
        portalUrl: portalUrl(),
      })
      .trim() + '\n';
  return {
    to: who.email,
    subject: `${m.subject} — ${who.registrationNo}`,
    text,
    dedupeKey: m.dedupeKey,
    ...(m.topic ? { topic: m.topic } : {}),
    ...(m.notBefore ? { notBefore: m.notBefore } : {}),
  };
}

const send = (trx: Trx, who: Recipient, m: Message): Promise<boolean> => enqueueMail(trx, compose(who, m));

/**
 * The "pendaftaran diterima" mail, composed from what the registration holds (its number, the
 * applicant's name and e-mail, the formation and the round's configuration): the registration
 * writes it in the same statement as the application.
 */
export function registeredMail(who: Recipient): MailInput {
  return compose(who, {
    template: 'registered',
    subject: 'Pendaftaran diterima',
    dedupeKey: `registered:${who.registrationNo}`,
    data: {
      jabatan: who.jabatan,
      unit: who.unit,
      registrationCloses: formatWib(who.config.schedule.registrationCloses),
    },
  });
}

/** Topic of the mails that wait for the administrasi announcement (moved when HR postpones it). */
export const announcementTopic = (roundId: string): string => `announce-administrasi:${roundId}`;
const laterOf = (a: string, now: string): string | undefined => (Date.parse(a) > Date.parse(now) ? a : undefined);

export const notify = {
  /** The administrative result, held until the announcement (as the round records it now). */
  async administrasi(
    trx: Trx,
    i: { registrationNo: string; result: 'MS' | 'TMS'; reasons: string[]; at: string },
  ): Promise<void> {
    const who = await recipient(trx, i.registrationNo);
    const s = who.config.schedule;
    const sanggah = i.result === 'TMS' && who.config.sanggahStages.includes('administrasi');
    await send(trx, who, {
      template: 'administrasi',
      subject: `Hasil seleksi administrasi: ${i.result === 'MS' ? 'Memenuhi Syarat' : 'Tidak Memenuhi Syarat'}`,
      dedupeKey: `administrasi:${i.registrationNo}`,
      topic: announcementTopic(who.roundId),
      notBefore: laterOf(s.announcementAt, i.at),
      data: {
        result: i.result,
        reasons: i.reasons,
        sanggah,
        sanggahOpens: formatWib(s.announcementAt),
        sanggahCloses: formatWib(Date.parse(s.announcementAt) + s.sanggahDays * dayMs(who.config)),
      },
    });
  },

  /**
   * HR postponed the announcement: the mails waiting for it move with it, and the window dates
   * they quote are rewritten (the only instants in them derived from the announcement).
   */
  async announcementMoved(trx: Trx, roundId: string, from: string, to: string): Promise<void> {
    const row = await trx
      .selectFrom('rounds')
      .select('config')
      .where('round_id', '=', roundId)
      .executeTakeFirstOrThrow();
    const c = row.config as RoundConfig;
    const swaps: [string, string][] = [
      [formatWib(from), formatWib(to)],
      [
        formatWib(Date.parse(from) + c.schedule.sanggahDays * dayMs(c)),
        formatWib(Date.parse(to) + c.schedule.sanggahDays * dayMs(c)),
      ],
    ];
    const pending = await trx
      .selectFrom('mail_outbox')
      .select(['id', 'text'])
      .where('topic', '=', announcementTopic(roundId))
      .where('sent_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .where('attempts', '=', 0)
      .execute();
    // One pass over the text: a new date equal to another old one is not replaced again.
    const map = new Map(swaps);
    const pattern = new RegExp(swaps.map(([a]) => a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    for (const m of pending) {
      const text = m.text.replace(pattern, (x) => map.get(x) ?? x);
      await trx.updateTable('mail_outbox').set({ text, next_attempt_at: to }).where('id', '=', m.id).execute();
    }
  },

  /** A sanggah window opens: it starts when the candidate's result was announced (workflows/candidate). */
  async sanggahOpened(
    trx: Trx,
    i: { registrationNo: string; stage: SanggahStageName; at: string; opensAt: string; closesAt: string },
  ): Promise<void> {
    const who = await recipient(trx, i.registrationNo);
    const stage = i.stage;
    await send(trx, who, {
      template: 'sanggah-opened',
      subject: `Masa sanggah ${STAGE_LABEL[stage]} dibuka`,
      dedupeKey: `sanggah-opened:${i.registrationNo}:${stage}:${i.opensAt}`,
      ...(stage === 'administrasi'
        ? { topic: announcementTopic(who.roundId), notBefore: laterOf(i.opensAt, i.at) }
        : {}),
      data: { stageLabel: STAGE_LABEL[stage], closes: formatWib(Date.parse(i.closesAt)) },
    });
  },

  async sanggahAnswered(
    trx: Trx,
    i: { registrationNo: string; stage: SanggahStageName; accepted: boolean; answer: string },
  ): Promise<void> {
    const who = await recipient(trx, i.registrationNo);
    await send(trx, who, {
      template: 'sanggah-answered',
      subject: `Jawaban sanggah ${STAGE_LABEL[i.stage]}: ${i.accepted ? 'diterima' : 'ditolak'}`,
      dedupeKey: `sanggah-answered:${i.registrationNo}:${i.stage}`,
      data: { stageLabel: STAGE_LABEL[i.stage], accepted: i.accepted, answer: i.answer },
    });
  },

  async skd(
    trx: Trx,
    i: {
      registrationNo: string;
      twk: number;
      tiu: number;
      tkp: number;
      passed: boolean;
      reusedFromYear: number | null;
      at: string;
    },
  ): Promise<void> {
    const who = await recipient(trx, i.registrationNo);
    await send(trx, who, {
      template: 'skd',
      subject: `Hasil SKD: ${i.passed ? 'memenuhi' : 'tidak memenuhi'} nilai ambang batas`,
      dedupeKey: `skd:${i.registrationNo}:${i.at}`,
      data: { ...i, total: i.twk + i.tiu + i.tkp },
    });
  },

  async skbSelection(trx: Trx, i: { registrationNo: string; selected: boolean; rank: number | null }): Promise<void> {
    const who = await recipient(trx, i.registrationNo);
    await send(trx, who, {
      template: 'skb-selection',
      subject: i.selected ? 'Lolos ke SKB' : 'Tidak lolos ke SKB',
      dedupeKey: `skb-selection:${i.registrationNo}`,
      data: i,
    });
  },

  /** The final result; when it passes, the DRH window opens with it and a reminder waits before its deadline. */
  async final(
    trx: Trx,
    i: { registrationNo: string; result: string; score: string; rank: number; phaseKey: string; at: string },
  ): Promise<void> {
    const who = await recipient(trx, i.registrationNo);
    const deadline = who.config.schedule.drhDeadline;
    await send(trx, who, {
      template: 'final',
      subject: `Hasil akhir seleksi: ${FINAL_LABEL[i.result] ?? i.result}`,
      dedupeKey: `final:${i.registrationNo}:${i.phaseKey}`,
      data: { ...i, resultLabel: FINAL_LABEL[i.result] ?? i.result, drhDeadline: formatWib(deadline) },
    });
    if (i.result !== 'tidak_lulus') await notify.drhReminder(trx, who, deadline, i.at);
  },

  /** A reminder DRH_REMINDER_DAYS before the deadline, unless that is already past; cancelled when the DRH arrives. */
  async drhReminder(trx: Trx, who: Recipient, deadline: string, now: string): Promise<void> {
    const at = Date.parse(deadline) - DRH_REMINDER_DAYS * dayMs(who.config);
    if (at <= Date.parse(now)) return;
    await send(trx, who, {
      template: 'drh-reminder',
      subject: 'Pengingat: batas waktu DRH',
      dedupeKey: `drh-reminder:${who.registrationNo}:${deadline}`,
      topic: `drh-reminder:${who.registrationNo}`,
      notBefore: new Date(at),
      data: { drhDeadline: formatWib(deadline) },
    });
  },

  /** The DRH arrived: its pending reminder is cancelled (the row stays, marked). */
  async drhSubmitted(trx: Trx, registrationNo: string): Promise<void> {
    await cancelTopic(trx, `drh-reminder:${registrationNo}`, 'DRH diterima');
  },

  /** HR moved the DRH deadline: pending reminders of the round are replaced by ones with the new date. */
  async drhDeadlineMoved(trx: Trx, roundId: string, to: string, now: string): Promise<void> {
    const pending = await sql<{ registration_no: string }>`
      select a.registration_no from applications a
      where a.round_id = ${roundId} and exists (select 1 from mail_outbox m where m.topic = 'drh-reminder:' || a.registration_no and m.sent_at is null and m.cancelled_at is null)`.execute(
      trx,
    );
    for (const p of pending.rows) {
      await cancelTopic(trx, `drh-reminder:${p.registration_no}`, 'batas DRH diubah');
      const who = await recipient(trx, p.registration_no);
      who.config.schedule.drhDeadline = to;
      await notify.drhReminder(trx, who, to, now);
    }
  },

  async appointed(trx: Trx, i: { registrationNo: string; nip: string; tmt: string; skNumber: string }): Promise<void> {
    const who = await recipient(trx, i.registrationNo);
    await send(trx, who, {
      template: 'appointed',
      subject: 'NIP dan SK CPNS ditetapkan',
      dedupeKey: `appointed:${i.registrationNo}`,
      data: { nip: i.nip, tmt: formatDate(i.tmt), skNumber: i.skNumber },
    });
  },
};
