import type { Db } from '../db/connection';
import { eta } from './render';

/**
 * The one place the portal's mails go out: into the outbox, in the caller's transaction.
 * `enqueueMail(trx, { to, subject, text, html?, dedupeKey })` is db/mail.ts's (helper portal-mail);
 * until it is on main this module keeps a local function with the same signature.
 */
export interface MailInput {
  to: string;
  subject: string;
  text: string;
  html?: string;
  dedupeKey: string;
}

type Executor = Pick<Db, 'insertInto'>;
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export async function enqueueMail(_trx: Executor, _mail: MailInput): Promise<boolean> {
  throw new Error('enqueueMail: the mail outbox (db/mail.ts) is not on main yet');
}

/** A mail from web/views/mail/<name>.eta (HTML) and <name>.txt.eta (text), with the site's name. */
export function renderMail(name: string, data: Record<string, unknown>): { text: string; html: string } {
  return { text: eta.render(`mail/${name}.txt`, data), html: eta.render(`mail/${name}`, data) };
}
