import { eta } from './render';

/**
 * The one place the portal's mails go out: into the outbox (db/mail.ts), in the caller's
 * transaction, sent by the worker's dispatcher.
 */
export { enqueueMail } from '../db/mail';

/** A mail from web/views/mail/<name>.eta (HTML) and <name>.txt.eta (text), with the site's name. */
export function renderMail(name: string, data: Record<string, unknown>): { text: string; html: string } {
  return { text: eta.render(`/mail/${name}.txt.eta`, data), html: eta.render(`/mail/${name}`, data) };
}
