/**
 * The e-mail outbox. A mail is a row of `mail_outbox`, written by `enqueueMail` in the same
 * transaction as the event it reports (a rolled-back event leaves no mail; a retried activity
 * finds its dedupe key and writes nothing). The dispatcher (runs in the worker process) claims due
 * rows with FOR UPDATE SKIP LOCKED, leases them, sends each with nodemailer over SMTP under the
 * row's own Message-ID, then marks it sent. A crash between the send and the mark resends the
 * same Message-ID after the lease (the receiving MTA, or the development sink, recognises it); a
 * failed send is retried with exponential backoff and the row is never dropped.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import nodemailer from 'nodemailer';
import type { Database } from './schema';

export interface MailInput {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Unique per event and recipient: the same key again (a retried activity) writes nothing. */
  dedupeKey: string;
  /** Groups pending mails a later event may move or cancel (see rescheduleTopic, cancelTopic). */
  topic?: string;
  /** Not before this instant (an announcement's time, a reminder before a deadline). */
  notBefore?: Date | string;
}

export interface MailConfig {
  /** smtp://host:port (or smtps://user:pass@host:465); undefined (SMTP_URL=none, or unset in production): no dispatcher. */
  smtpUrl: string | undefined;
  from: string;
}

export const DEFAULT_SINK_SMTP_PORT = 1025;
export const DEFAULT_SINK_HTTP_PORT = 1080;

/** SMTP_URL (default in development: the mail sink of `npm start`), MAIL_FROM. */
export function mailConfig(env: NodeJS.ProcessEnv = process.env): MailConfig {
  const production = env.NODE_ENV === 'production';
  return {
    // SMTP_URL=none: no dispatcher (the test run's default, so no spawned worker mails a sink it did not start).
    smtpUrl:
      env.SMTP_URL === 'none'
        ? undefined
        : env.SMTP_URL ||
          (production ? undefined : `smtp://127.0.0.1:${env.MAIL_SINK_SMTP_PORT ?? DEFAULT_SINK_SMTP_PORT}`),
    from: env.MAIL_FROM || '"BKPSDM Kota Medan" <no-reply@seleksi-asn.medan.localhost>',
  };
}

/** The Message-ID of a mail: derived from its dedupe key, so every send of the row carries the same one. */
export function messageIdFor(dedupeKey: string, from: string = mailConfig().from): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
  return `<outbox.${createHash('sha256').update(dedupeKey).digest('hex').slice(0, 32)}@${domain}>`;
}

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * Writes a mail into the outbox, inside the caller's transaction. Idempotent by dedupe key
 * (ON CONFLICT DO NOTHING); returns whether a row was written.
 */
export async function enqueueMail(trx: Executor, mail: MailInput): Promise<boolean> {
  const r = await outboxInsert(trx, mail).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * The outbox's INSERT of a mail (idempotent by dedupe key), not yet run: enqueueMail runs it; a
 * caller that writes its event in one statement puts it in a WITH clause beside the event's rows.
 */
export function outboxInsert(db: Pick<Kysely<Database>, 'insertInto'>, mail: MailInput) {
  if (!mail.to || !mail.dedupeKey) throw new Error('enqueueMail: to and dedupeKey are required');
  return db
    .insertInto('mail_outbox')
    .values({
      dedupe_key: mail.dedupeKey,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html ?? null,
      topic: mail.topic ?? null,
      message_id: messageIdFor(mail.dedupeKey),
      ...(mail.notBefore ? { next_attempt_at: mail.notBefore } : {}),
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing());
}

/** Moves the pending mails of a topic to a new instant (an announcement HR postponed). */
export async function rescheduleTopic(trx: Executor, topic: string, notBefore: Date | string): Promise<number> {
  const r = await trx
    .updateTable('mail_outbox')
    .set({ next_attempt_at: notBefore })
    .where('topic', '=', topic)
    .where('sent_at', 'is', null)
    .where('cancelled_at', 'is', null)
    .where('attempts', '=', 0)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Cancels the pending mails of a topic (a reminder whose reason is gone); the rows stay. */
export async function cancelTopic(trx: Executor, topic: string, reason: string): Promise<number> {
  const r = await trx
    .updateTable('mail_outbox')
    .set({ cancelled_at: sql`now()`, last_error: `cancelled: ${reason}` })
    .where('topic', '=', topic)
    .where('sent_at', 'is', null)
    .where('cancelled_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export interface DispatcherOptions {
  db: Kysely<Database>;
  smtpUrl: string;
  from: string;
  /** How often to look for due mails when idle (default 1 s). */
  pollMs?: number;
  /** Rows claimed per pass (default 20). */
  batch?: number;
  /** How long a claimed row is reserved for this dispatcher before another may take it (default 2 min). */
  leaseMs?: number;
  /** Retry delay after the n-th failed attempt: min(base × 2^(n-1), max) (default 5 s … 1 h). */
  backoff?: { baseMs: number; maxMs: number };
  /** No personal data: ids, counts and error codes only. */
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Fault injection for the durability test: called after the SMTP send, before the mark. */
  afterSend?: (id: string) => Promise<void>;
}

export interface Dispatcher {
  /** One pass: claims due rows, sends, marks. Returns how many were sent. */
  runOnce: () => Promise<number>;
  stop: () => Promise<void>;
}

export function backoffMs(attempts: number, b: { baseMs: number; maxMs: number }): number {
  return Math.min(b.baseMs * 2 ** Math.max(0, attempts - 1), b.maxMs);
}

type OutboxRow = {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  message_id: string;
  attempts: number;
};

/** Claims due rows nobody else holds, leased (next_attempt_at moved past the lease) in one statement. */
async function claimDue(db: Kysely<Database>, batch: number, leaseMs: number): Promise<OutboxRow[]> {
  const claimed = await sql<OutboxRow>`
      with due as (
        select id from mail_outbox
        where sent_at is null and cancelled_at is null and next_attempt_at <= now()
        order by next_attempt_at, id
        limit ${batch}
        for update skip locked
      )
      update mail_outbox m set attempts = m.attempts + 1, next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000})
      from due where m.id = due.id
      returning m.id, m.to, m.subject, m.text, m.html, m.message_id, m.attempts`.execute(db);
  return claimed.rows;
}

/** A failed send: the row waits out its backoff, with the SMTP error (code and message) kept. */
async function retryLater(
  db: Kysely<Database>,
  row: OutboxRow,
  err: unknown,
  backoff: { baseMs: number; maxMs: number },
  log: NonNullable<DispatcherOptions['log']>,
): Promise<void> {
  const e = err as { code?: string; responseCode?: number; message?: string };
  const delay = backoffMs(row.attempts, backoff);
  await db
    .updateTable('mail_outbox')
    .set({
      next_attempt_at: sql`now() + make_interval(secs => ${delay / 1000})`,
      last_error: `${e.code ?? 'ERROR'} ${e.responseCode ?? ''} ${String(e.message ?? err).slice(0, 500)}`.trim(),
    })
    .where('id', '=', row.id)
    .where('sent_at', 'is', null)
    .execute();
  log('mail send failed; retrying later', {
    outboxId: row.id,
    attempts: row.attempts,
    code: e.code ?? null,
    responseCode: e.responseCode ?? null,
    retryInMs: delay,
  });
}

export function startMailDispatcher(opts: DispatcherOptions, { loop = true } = {}): Dispatcher {
  const { db } = opts;
  const pollMs = opts.pollMs ?? 1_000;
  const batch = opts.batch ?? 20;
  const leaseMs = opts.leaseMs ?? 120_000;
  const backoff = opts.backoff ?? { baseMs: 5_000, maxMs: 3_600_000 };
  const log = opts.log ?? (() => undefined);
  const transport = nodemailer.createTransport(opts.smtpUrl, { from: opts.from });

  const runOnce = async (): Promise<number> => {
    const claimed = await claimDue(db, batch, leaseMs);
    let sent = 0;
    for (const row of claimed) {
      try {
        await transport.sendMail({
          from: opts.from,
          to: row.to,
          subject: row.subject,
          text: row.text,
          ...(row.html ? { html: row.html } : {}),
          messageId: row.message_id,
          headers: { 'X-Outbox-Id': String(row.id) },
        });
      } catch (err) {
        await retryLater(db, row, err, backoff, log);
        continue;
      }
      await opts.afterSend?.(String(row.id));
      await db
        .updateTable('mail_outbox')
        .set({ sent_at: sql`now()`, last_error: null })
        .where('id', '=', row.id)
        .where('sent_at', 'is', null)
        .execute();
      sent += 1;
    }
    if (sent) log('mails sent', { count: sent });
    return sent;
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const running = (async () => {
    if (!loop) return;
    while (!stopped) {
      let sent = 0;
      try {
        sent = await runOnce();
      } catch (err) {
        // PostgreSQL or SMTP unreachable for a moment: the rows stay; try again on the next pass.
        log('mail dispatcher pass failed', { error: (err as Error).message });
      }
      if (stopped) break;
      if (sent >= batch) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, pollMs);
      });
    }
  })();

  return {
    runOnce,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await running;
      transport.close();
    },
  };
}

/**
 * The dispatcher as the processes run it (worker/main.ts, scripts/mail-dispatcher.ts): SMTP_URL
 * and MAIL_FROM from mailConfig, MAIL_POLL_MS and MAIL_LEASE_MS for tests; none without SMTP_URL
 * in production. ASN_FAULT_PAUSE_AFTER_SEND=1 (durability test only) prints
 * `FAULT_PAUSED mail <id>` after a send and hangs before the mark, for a SIGKILL in that window.
 */
export function dispatcherFromEnv(
  db: Kysely<Database>,
  log: DispatcherOptions['log'],
  env: NodeJS.ProcessEnv = process.env,
): Dispatcher | undefined {
  const cfg = mailConfig(env);
  if (!cfg.smtpUrl) return undefined;
  const afterSend = env.ASN_FAULT_PAUSE_AFTER_SEND
    ? async (id: string): Promise<void> => {
        process.stdout.write(`FAULT_PAUSED mail ${id}\n`);
        await new Promise(() => undefined);
      }
    : undefined;
  return startMailDispatcher({
    db,
    smtpUrl: cfg.smtpUrl,
    from: cfg.from,
    log,
    ...(env.MAIL_POLL_MS ? { pollMs: Number(env.MAIL_POLL_MS) } : {}),
    ...(env.MAIL_LEASE_MS ? { leaseMs: Number(env.MAIL_LEASE_MS) } : {}),
    ...(env.MAIL_BACKOFF_BASE_MS ? { backoff: { baseMs: Number(env.MAIL_BACKOFF_BASE_MS), maxMs: 3_600_000 } } : {}),
    ...(afterSend ? { afterSend } : {}),
  });
}
