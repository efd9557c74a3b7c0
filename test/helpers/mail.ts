/**
 * The SMTP sink (scripts/mail-sink.ts) as a real process for tests: started on free ports, read
 * over its HTTP API, stopped at the end.
 *
 *   const sink = await startMailSink();
 *   // … SMTP_URL = sink.smtpUrl …
 *   const mail = await sink.waitForMail((m) => m.to.includes(email) && /Pendaftaran/.test(m.subject));
 *   const link = findLink(mail, /\/portal\/konfirmasi/);
 *   await sink.stop();
 */
import type { StoredMail } from '../../scripts/mail-sink';
import { spawnTs, type Spawned } from './processes';

/** A mail as the sink's JSON lists it (everything it keeps but the raw message). */
export type SinkMail = Omit<StoredMail, 'raw'>;

export interface MailSink {
  proc: Spawned;
  smtpPort: number;
  httpPort: number;
  smtpUrl: string;
  /** The HTML list a person opens. */
  url: string;
  messages: (to?: string) => Promise<SinkMail[]>;
  /** Waits (generously: the machine is busy) until a mail matching `match` has arrived. */
  waitForMail: (match: (m: SinkMail) => boolean, timeoutMs?: number) => Promise<SinkMail>;
  clear: () => Promise<void>;
  stop: () => Promise<void>;
}

/** The sink on free ports, keeping mails in memory only (a test's mails never reach .data/mail). */
export async function startMailSink(): Promise<MailSink> {
  const proc = spawnTs('scripts/mail-sink.ts', {
    MAIL_SINK_SMTP_PORT: '0',
    MAIL_SINK_HTTP_PORT: '0',
    MAIL_SINK_STORE: 'memory',
  });
  return attach(proc);
}

async function attach(proc: Spawned): Promise<MailSink> {
  await proc.waitFor(/MAIL_SINK_READY smtp=\d+ http=\d+/, 60_000);
  const m = /MAIL_SINK_READY smtp=(\d+) http=(\d+)/.exec(proc.output())!;
  const smtpPort = Number(m[1]);
  const httpPort = Number(m[2]);
  const base = `http://127.0.0.1:${httpPort}`;
  const messages = async (to?: string): Promise<SinkMail[]> => {
    const res = await fetch(`${base}/api/messages${to ? `?to=${encodeURIComponent(to)}` : ''}`);
    if (!res.ok) throw new Error(`mail sink answered ${res.status}`);
    return (await res.json()) as SinkMail[];
  };
  return {
    proc,
    smtpPort,
    httpPort,
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    url: `${base}/`,
    messages,
    waitForMail: async (match, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = (await messages()).find(match);
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(
            `no matching mail in the sink within ${timeoutMs} ms; it holds: ${JSON.stringify((await messages()).map((x) => ({ to: x.to, subject: x.subject })))}`,
          );
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    clear: async () => {
      await fetch(`${base}/api/messages`, { method: 'DELETE' });
    },
    stop: () => proc.kill('SIGTERM'),
  };
}

/** The first link in a mail's text whose URL matches `pattern`. */
export function findLink(mail: SinkMail, pattern: RegExp = /./): string {
  const links = [...mail.text.matchAll(/https?:\/\/[^\s<>"')]+/g)].map((x) => x[0]);
  const link = links.find((l) => pattern.test(l));
  if (!link)
    throw new Error(
      `no link matching ${String(pattern)} in mail "${mail.subject}": ${links.join(', ') || '(no links)'}`,
    );
  return link;
}
