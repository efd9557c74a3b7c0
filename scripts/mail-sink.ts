/**
 * The development and test mail sink, as its own process: an SMTP server (smtp-server) that
 * accepts every mail, parses it (mailparser), keeps it in memory and as an .eml file under
 * .data/mail/ (MAIL_SINK_DIR; `--no-store` or MAIL_SINK_STORE=memory keeps memory only), and shows the mails over HTTP:
 *
 *   GET /                   the list (HTML), newest first; /messages/:id one mail
 *   GET /api/messages       JSON: [{ id, messageId, from, to, subject, date, text, html, duplicates }]
 *                           (?to=<address> filters by recipient)
 *   GET /api/messages/:id   one mail; /api/messages/:id/raw its source
 *   DELETE /api/messages    empties the sink
 *
 * A mail whose Message-ID the sink already holds is not stored again: its `duplicates` count goes
 * up (what a resend after a crash between send and mark looks like).
 *
 *   node --import tsx scripts/mail-sink.ts [--smtp-port 1025] [--http-port 1080] [--host 127.0.0.1]
 * Port 0 picks a free port; the process prints `MAIL_SINK_READY smtp=<port> http=<port>`.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Eta } from 'eta';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { ROOT } from '../config';
import { DEFAULT_SINK_HTTP_PORT, DEFAULT_SINK_SMTP_PORT } from '../db/mail';

export interface StoredMail {
  id: number;
  messageId: string | null;
  from: string;
  to: string[];
  subject: string;
  date: string;
  receivedAt: string;
  text: string;
  html: string | null;
  /** How many times the same Message-ID arrived again after the first. */
  duplicates: number;
  raw: string;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const host = arg('host') ?? process.env.MAIL_SINK_HOST ?? '127.0.0.1';
const smtpPort = Number(arg('smtp-port') ?? process.env.MAIL_SINK_SMTP_PORT ?? DEFAULT_SINK_SMTP_PORT);
const httpPort = Number(arg('http-port') ?? process.env.MAIL_SINK_HTTP_PORT ?? DEFAULT_SINK_HTTP_PORT);
const store = !process.argv.includes('--no-store') && process.env.MAIL_SINK_STORE !== 'memory';
const dir = arg('dir') ?? process.env.MAIL_SINK_DIR ?? join(ROOT, '.data', 'mail');

const mails: StoredMail[] = [];
const byMessageId = new Map<string, StoredMail>();
let nextId = 1;

const addresses = (a: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => v.address ?? '')).filter(Boolean);

async function accept(raw: string, envelopeTo: string[], fromFile?: number): Promise<StoredMail> {
  const parsed = await simpleParser(raw);
  const messageId = parsed.messageId ?? null;
  const seen = messageId ? byMessageId.get(messageId) : undefined;
  if (seen) {
    seen.duplicates += 1;
    return seen;
  }
  const mail: StoredMail = {
    id: fromFile ?? nextId++,
    messageId,
    from: parsed.from?.text ?? '',
    to: addresses(parsed.to).length ? addresses(parsed.to) : envelopeTo,
    subject: parsed.subject ?? '',
    date: (parsed.date ?? new Date()).toISOString(),
    receivedAt: new Date().toISOString(),
    text: parsed.text ?? '',
    html: typeof parsed.html === 'string' ? parsed.html : null,
    duplicates: 0,
    raw,
  };
  mails.push(mail);
  if (messageId) byMessageId.set(messageId, mail);
  if (store && fromFile === undefined) writeFileSync(join(dir, `${String(mail.id).padStart(6, '0')}.eml`), raw);
  return mail;
}

/** Mails kept in the folder by an earlier run come back (ids continue after them). */
async function load(): Promise<void> {
  if (!store) return;
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)
    .filter((n) => /^\d+\.eml$/.test(n))
    .sort()) {
    const id = Number(f.slice(0, -4));
    await accept(readFileSync(join(dir, f), 'utf8'), [], id);
    nextId = Math.max(nextId, id + 1);
  }
}

const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  banner: 'ASN mail sink',
  size: 10 * 1024 * 1024,
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      accept(
        Buffer.concat(chunks).toString('utf8'),
        session.envelope.rcptTo.map((r) => r.address),
      )
        .then(() => callback())
        .catch((err: unknown) => callback(err as Error));
    });
  },
});

const eta = new Eta({ autoEscape: true, autoTrim: false });
const LIST = `<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kotak surat pengembangan (<%= it.mails.length %>)</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem;max-width:60rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ccc;vertical-align:top}a{color:#0b4f8a}</style></head>
<body><main><h1>Kotak surat pengembangan</h1>
<p>Surat yang dikirim aplikasi (SMTP port <%= it.smtpPort %>). JSON: <a href="/api/messages">/api/messages</a>.</p>
<% if (it.mails.length === 0) { %><p>Belum ada surat.</p><% } else { %>
<table><thead><tr><th scope="col">Waktu (UTC)</th><th scope="col">Kepada</th><th scope="col">Perihal</th></tr></thead><tbody>
<% for (const m of it.mails) { %><tr><td><%= m.receivedAt.slice(0, 19).replace('T', ' ') %></td><td><%= m.to.join(', ') %></td><td><a href="/messages/<%= m.id %>"><%= m.subject || '(tanpa perihal)' %></a><% if (m.duplicates) { %> (dikirim ulang <%= m.duplicates %>×, Message-ID sama)<% } %></td></tr>
<% } %></tbody></table><% } %></main></body></html>`;
const ONE = `<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title><%= it.m.subject %></title><style>body{font-family:system-ui,sans-serif;margin:1rem;max-width:60rem}pre{white-space:pre-wrap}</style></head>
<body><main><p><a href="/">← Semua surat</a></p><h1><%= it.m.subject %></h1>
<dl><dt>Dari</dt><dd><%= it.m.from %></dd><dt>Kepada</dt><dd><%= it.m.to.join(', ') %></dd><dt>Message-ID</dt><dd><%= it.m.messageId %></dd></dl>
<pre><%= it.m.text %></pre><p><a href="/api/messages/<%= it.m.id %>/raw">Sumber</a></p></main></body></html>`;

const summary = (m: StoredMail): Omit<StoredMail, 'raw'> => ({
  id: m.id,
  messageId: m.messageId,
  from: m.from,
  to: m.to,
  subject: m.subject,
  date: m.date,
  receivedAt: m.receivedAt,
  text: m.text,
  html: m.html,
  duplicates: m.duplicates,
});
const send = (res: ServerResponse, status: number, type: string, body: string): void => {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  res.end(body);
};

const http = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://sink');
  const one = /^\/(api\/)?messages\/(\d+)(\/raw)?$/.exec(url.pathname);
  if (req.method === 'DELETE' && url.pathname === '/api/messages') {
    mails.length = 0;
    byMessageId.clear();
    return send(res, 200, 'application/json', '{"deleted":true}');
  }
  if (req.method !== 'GET')
    return send(
      res,
      405,
      'application/json',
      '{"error":{"code":"METHOD_NOT_ALLOWED","message":"Metode tidak didukung","details":[]}}',
    );
  if (url.pathname === '/api/messages') {
    const to = url.searchParams.get('to')?.toLowerCase();
    return send(
      res,
      200,
      'application/json',
      JSON.stringify(mails.filter((m) => !to || m.to.some((t) => t.toLowerCase() === to)).map(summary)),
    );
  }
  if (url.pathname === '/')
    return send(
      res,
      200,
      'text/html',
      eta.renderString(LIST, { mails: [...mails].reverse(), smtpPort: (smtp.server.address() as AddressInfo).port }),
    );
  const m = one ? mails.find((x) => x.id === Number(one[2])) : undefined;
  if (one && m) {
    if (one[3]) return send(res, 200, 'message/rfc822', m.raw);
    return one[1]
      ? send(res, 200, 'application/json', JSON.stringify(summary(m)))
      : send(res, 200, 'text/html', eta.renderString(ONE, { m }));
  }
  return send(
    res,
    404,
    'application/json',
    '{"error":{"code":"NOT_FOUND","message":"Surat tidak ditemukan","details":[]}}',
  );
});

/** Whether a port was asked for (argument or environment) rather than defaulted. */
const explicit = (name: string, envName: string): boolean =>
  arg(name) !== undefined || process.env[envName] !== undefined;

/**
 * Listens on the port; a default port already taken (another `npm start` on the machine) falls
 * back to a free one, printed in the ready line, instead of stopping the stack.
 */
async function listen(
  server: {
    listen: (port: number, host: string, cb: () => void) => unknown;
    once: (ev: 'error', cb: (err: NodeJS.ErrnoException) => void) => unknown;
    removeAllListeners: (ev: 'error') => unknown;
  },
  port: number,
  fallback: boolean,
  what: string,
): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !fallback) throw err;
    server.removeAllListeners('error');
    console.error(`[mail-sink] ${what} port ${port} is taken; using a free port`);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
  }
  server.removeAllListeners('error');
}

async function main(): Promise<void> {
  await load();
  await listen(smtp, smtpPort, !explicit('smtp-port', 'MAIL_SINK_SMTP_PORT'), 'SMTP');
  smtp.on('error', (err) => console.error(`[mail-sink] smtp: ${err.message}`));
  await listen(http, httpPort, !explicit('http-port', 'MAIL_SINK_HTTP_PORT'), 'HTTP');
  const s = (smtp.server.address() as AddressInfo).port;
  const h = (http.address() as AddressInfo).port;
  process.stdout.write(
    `MAIL_SINK_READY smtp=${s} http=${h} url=http://${host}:${h}/ (${mails.length} kept${store ? ` in ${dir}` : ''})\n`,
  );
}

const shutdown = (): void => {
  http.close();
  smtp.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

main().catch((err: unknown) => {
  console.error(`[mail-sink] ${(err as Error).message}`);
  process.exit(1);
});
