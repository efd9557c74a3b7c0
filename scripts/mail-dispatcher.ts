/**
 * The outbox dispatcher on its own (the worker runs the same one; see db/mail.ts): for operators
 * who want to drain the outbox without a worker, and for the durability test that kills it
 * between a send and its mark. Prints MAIL_DISPATCHER_READY; SIGTERM stops it.
 */
import { loadConfig } from '../config';
import { createDb } from '../db/connection';
import { dispatcherFromEnv, mailConfig } from '../db/mail';
import { createLogger } from '../config/logger';

const config = loadConfig();
const logger = createLogger(config, 'mail');
const db = createDb(config.databaseUrl, { max: 2 });
const dispatcher = dispatcherFromEnv(db, (msg, fields) => logger.info(fields ?? {}, msg));
if (!dispatcher) {
  console.error('[mail] SMTP_URL is not set: nothing to send to');
  process.exit(1);
}
process.stdout.write(`MAIL_DISPATCHER_READY ${mailConfig().smtpUrl?.replace(/\/\/[^@]*@/, '//')}\n`);
const stop = async (): Promise<void> => {
  await dispatcher.stop();
  await db.destroy();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
