import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { maskNik, parseNik } from '../../domain';
import {
  CONFIRM_TTL_MS,
  PASSWORD_MAX,
  PASSWORD_MIN,
  RESET_TTL_MS,
  confirmEmail,
  consumeAccountToken,
  createAccount,
  findAccountByEmail,
  findAccountByUser,
  findConflicting,
  hashPassword,
  issueAccountToken,
  peekAccountToken,
  removeStaleUnconfirmed,
  setPassword,
  verifyPassword,
  type Account,
} from '../../db/accounts';
import type { Db } from '../../db/connection';
import type { ServiceDeps } from '../../api/services/deps';
import { enqueueMail, renderMail } from '../mail';
import { renderPage } from '../render';
import { endSession, requireCandidate, safeNext, startSession } from '../session';

type Body = Record<string, unknown>;
const str = (b: unknown, k: string, max = 500): string => {
  const v = (b as Body | undefined)?.[k];
  return typeof v === 'string' ? v.slice(0, max) : '';
};
const EMAIL =
  /^[^\s@<>()",;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Field errors of a password and its repetition. */
function passwordErrors(password: string, repeat: string): Record<string, string> {
  const e: Record<string, string> = {};
  if ([...password].length < PASSWORD_MIN) e.password = `Kata sandi paling sedikit ${PASSWORD_MIN} karakter`;
  else if ([...password].length > PASSWORD_MAX) e.password = `Kata sandi paling banyak ${PASSWORD_MAX} karakter`;
  if (!e.password && password !== repeat) e.password2 = 'Ulangi kata sandi yang sama';
  return e;
}

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';

const page = { config: { access: 'public' as const }, schema: { hide: true } };
/** The options of a form's POST route: rate-limited, CSRF-checked. */
const formOf = (app: FastifyInstance, rateLimit: { max: number; timeWindow: number }) => ({
  config: { access: 'public' as const, rateLimit },
  schema: { hide: true },
  preHandler: app.csrfProtection,
});
type PageForm = ReturnType<typeof formOf>;

export const accountRoutes: FastifyPluginAsync<{
  deps: ServiceDeps;
  rateLimit: { max: number; timeWindow: number };
}> = async (app: FastifyInstance, { deps, rateLimit }) => {
  const form = formOf(app, rateLimit);
  signupRoutes(app, deps.db, form);
  loginRoutes(app, deps.db, form);
  forgotRoutes(app, deps.db, form);
  resetRoutes(app, deps.db, form);
};

const link = (req: FastifyRequest, path: string, token: string): string =>
  `${req.site.publicUrl}${req.site.prefix}${path}?token=${encodeURIComponent(token)}`;

async function sendConfirmation(
  req: FastifyRequest,
  trx: Db,
  account: Pick<Account, 'accountId' | 'email'>,
): Promise<void> {
  const { token, tokenHash } = await issueAccountToken(trx, account.accountId, 'confirm', CONFIRM_TTL_MS);
  const mail = renderMail('confirm', {
    site: req.site,
    link: link(req, '/akun/konfirmasi', token),
    hours: CONFIRM_TTL_MS / 3_600_000,
  });
  await enqueueMail(trx, {
    to: account.email,
    subject: `Konfirmasi akun portal seleksi ASN — ${req.site.agencyName}`,
    ...mail,
    dedupeKey: `account-confirm:${tokenHash}`,
  });
}

const signupView = (
  req: FastifyRequest,
  reply: FastifyReply,
  values: Record<string, string>,
  errors: Record<string, string>,
  status = 200,
): FastifyReply =>
  renderPage(
    req,
    reply,
    'account/signup',
    { title: 'Buat akun', values, errors, passwordMin: PASSWORD_MIN, scripts: ['form.js'] },
    status,
  );

/** A sign-up: a new unconfirmed account and its confirmation mail, or a notice to the owners of the NIK or address. */
async function signUp(db: Db, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const nik = str(req.body, 'nik', 32).replace(/\s+/g, '');
  const email = str(req.body, 'email', 300).trim();
  const password = str(req.body, 'password', 1000);
  const errors: Record<string, string> = {};
  const parsed = parseNik(nik, { referenceYear: new Date().getUTCFullYear() });
  if (!parsed.ok) errors.nik = parsed.errors.map((e) => e.message).join('; ');
  if (email.length > 254 || !EMAIL.test(email))
    errors.email = 'Tulis alamat e-mail yang benar, misalnya nama@contoh.id';
  Object.assign(errors, passwordErrors(password, str(req.body, 'password2', 1000)));
  if (Object.keys(errors).length) return signupView(req, reply, { nik, email }, errors, 422);

  const passwordHash = await hashPassword(password);
  const created = async (): Promise<void> => {
    await db.transaction().execute(async (trx) => {
      await removeStaleUnconfirmed(trx, nik, email);
      const existing = await findConflicting(trx, nik, email);
      if (existing.length) {
        // Never tell the visitor whether a NIK or an address has an account: tell the owners.
        for (const a of existing) {
          const mail = renderMail('exists', {
            site: req.site,
            loginUrl: `${req.site.publicUrl}${req.site.prefix}/akun/masuk`,
            resetUrl: `${req.site.publicUrl}${req.site.prefix}/akun/lupa-sandi`,
          });
          await enqueueMail(trx, {
            to: a.email,
            subject: `Percobaan membuat akun dengan data Anda — ${req.site.agencyName}`,
            ...mail,
            dedupeKey: `account-exists:${a.accountId}:${Math.floor(Date.now() / 3_600_000)}`,
          });
        }
        return;
      }
      const account = await createAccount(trx, { nik, email, passwordHash });
      await sendConfirmation(req, trx, account);
    });
  };
  try {
    await created();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    await created(); // a simultaneous sign-up with the same NIK or e-mail: now it exists
  }
  return reply.redirect(`${req.site.prefix}/akun/masuk?info=akun-dibuat`, 303);
}

/** Sign-up and the e-mail confirmation. */
function signupRoutes(app: FastifyInstance, db: Db, form: PageForm): void {
  app.get('/akun/daftar', page, async (req, reply) => signupView(req, reply, {}, {}));

  app.post('/akun/daftar', form, async (req, reply) => signUp(db, req, reply));

  // ---- e-mail confirmation (GET shows a button: mail scanners that open links consume nothing) ----
  app.get('/akun/konfirmasi', page, async (req, reply) => {
    const token = str(req.query, 'token', 100);
    const valid = !!(await peekAccountToken(db, token, 'confirm'));
    return renderPage(req, reply, 'account/confirm', { title: 'Konfirmasi e-mail', token, valid }, valid ? 200 : 400);
  });

  app.post('/akun/konfirmasi', form, async (req, reply) => {
    const token = str(req.body, 'token', 100);
    const ok = await db.transaction().execute(async (trx) => {
      const accountId = await consumeAccountToken(trx, token, 'confirm');
      if (accountId) await confirmEmail(trx, accountId);
      return !!accountId;
    });
    if (!ok)
      return renderPage(req, reply, 'account/confirm', { title: 'Konfirmasi e-mail', token: '', valid: false }, 400);
    return reply.redirect(`${req.site.prefix}/akun/masuk?info=terkonfirmasi`, 303);
  });

  app.get('/akun/konfirmasi/kirim-ulang', page, async (req, reply) =>
    renderPage(req, reply, 'account/resend', { title: 'Kirim ulang tautan konfirmasi', values: {}, errors: {} }),
  );
  app.post('/akun/konfirmasi/kirim-ulang', form, async (req, reply) => {
    const email = str(req.body, 'email', 300).trim();
    if (!EMAIL.test(email))
      return renderPage(
        req,
        reply,
        'account/resend',
        {
          title: 'Kirim ulang tautan konfirmasi',
          values: { email },
          errors: { email: 'Tulis alamat e-mail yang benar, misalnya nama@contoh.id' },
        },
        422,
      );
    await db.transaction().execute(async (trx) => {
      const a = await findAccountByEmail(trx, email);
      if (a && !a.emailConfirmed) await sendConfirmation(req, trx, a);
    });
    return reply.redirect(`${req.site.prefix}/akun/masuk?info=tautan-konfirmasi`, 303);
  });
}

const loginView = (
  req: FastifyRequest,
  reply: FastifyReply,
  values: Record<string, string>,
  errors: Record<string, string>,
  status = 200,
  message?: string,
): FastifyReply =>
  renderPage(
    req,
    reply,
    'account/login',
    { title: 'Masuk', values, errors, message, next: safeNext(req.site.prefix, values.next) },
    status,
  );

/** Sign-in, sign-out and the account page. */
function loginRoutes(app: FastifyInstance, db: Db, form: PageForm): void {
  app.get('/akun/masuk', page, async (req, reply) =>
    loginView(req, reply, { next: str(req.query, 'lanjut', 500) }, {}),
  );

  app.post('/akun/masuk', form, async (req, reply) => {
    const email = str(req.body, 'email', 300).trim();
    const password = str(req.body, 'password', 1000);
    const next = safeNext(req.site.prefix, str(req.body, 'next', 500));
    const account = email ? await findAccountByEmail(db, email) : undefined;
    const ok = await verifyPassword(account?.passwordHash, password);
    if (!ok || !account) return loginView(req, reply, { email, next }, {}, 401, 'E-mail atau kata sandi salah.');
    if (!account.emailConfirmed)
      return loginView(
        req,
        reply,
        { email, next },
        {},
        403,
        'E-mail akun ini belum dikonfirmasi. Buka tautan yang kami kirim, atau minta tautan baru.',
      );
    await startSession(db, req, reply, account.userId);
    return reply.redirect(next, 303);
  });

  app.post('/akun/keluar', { ...form, config: { access: 'public' as const } }, async (req, reply) => {
    await endSession(db, req, reply);
    return reply.redirect(`${req.site.prefix}/?info=keluar`, 303);
  });

  app.get('/akun', page, async (req, reply) => {
    const user = requireCandidate(req);
    const account = await findAccountByUser(db, user.userId);
    return renderPage(req, reply, 'account/home', {
      title: 'Akun saya',
      account: account && { ...account, nik: maskNik(account.nik) },
      registrationNo: user.registrationNo,
    });
  });
}

/** The forgotten-password form: a reset link by e-mail. */
function forgotRoutes(app: FastifyInstance, db: Db, form: PageForm): void {
  // ---- password reset ----
  app.get('/akun/lupa-sandi', page, async (req, reply) =>
    renderPage(req, reply, 'account/forgot', { title: 'Lupa kata sandi', values: {}, errors: {} }),
  );

  app.post('/akun/lupa-sandi', form, async (req, reply) => {
    const email = str(req.body, 'email', 300).trim();
    if (!EMAIL.test(email))
      return renderPage(
        req,
        reply,
        'account/forgot',
        {
          title: 'Lupa kata sandi',
          values: { email },
          errors: { email: 'Tulis alamat e-mail yang benar, misalnya nama@contoh.id' },
        },
        422,
      );
    await db.transaction().execute(async (trx) => {
      const a = await findAccountByEmail(trx, email);
      if (!a) return; // the same answer either way: nobody learns which addresses have accounts
      const { token, tokenHash } = await issueAccountToken(trx, a.accountId, 'reset', RESET_TTL_MS);
      const mail = renderMail('reset', {
        site: req.site,
        link: link(req, '/akun/atur-ulang', token),
        minutes: RESET_TTL_MS / 60_000,
      });
      await enqueueMail(trx, {
        to: a.email,
        subject: `Atur ulang kata sandi — ${req.site.agencyName}`,
        ...mail,
        dedupeKey: `account-reset:${tokenHash}`,
      });
    });
    return reply.redirect(`${req.site.prefix}/akun/masuk?info=tautan-terkirim`, 303);
  });
}

/** The reset link: a new password. */
function resetRoutes(app: FastifyInstance, db: Db, form: PageForm): void {
  app.get('/akun/atur-ulang', page, async (req, reply) => {
    const token = str(req.query, 'token', 100);
    const valid = !!(await peekAccountToken(db, token, 'reset'));
    return renderPage(
      req,
      reply,
      'account/reset',
      { title: 'Atur ulang kata sandi', token, valid, errors: {}, passwordMin: PASSWORD_MIN, scripts: ['form.js'] },
      valid ? 200 : 400,
    );
  });

  app.post('/akun/atur-ulang', form, async (req, reply) => {
    const token = str(req.body, 'token', 100);
    const password = str(req.body, 'password', 1000);
    const errors = passwordErrors(password, str(req.body, 'password2', 1000));
    if (Object.keys(errors).length) {
      const valid = !!(await peekAccountToken(db, token, 'reset'));
      return renderPage(
        req,
        reply,
        'account/reset',
        { title: 'Atur ulang kata sandi', token, valid, errors, passwordMin: PASSWORD_MIN, scripts: ['form.js'] },
        422,
      );
    }
    const passwordHash = await hashPassword(password);
    const ok = await db.transaction().execute(async (trx) => {
      const accountId = await consumeAccountToken(trx, token, 'reset');
      if (accountId) await setPassword(trx, accountId, passwordHash, { confirmsEmail: true });
      return !!accountId;
    });
    if (!ok)
      return renderPage(
        req,
        reply,
        'account/reset',
        { title: 'Atur ulang kata sandi', token: '', valid: false, errors: {}, passwordMin: PASSWORD_MIN },
        400,
      );
    await endSession(db, req, reply);
    return reply.redirect(`${req.site.prefix}/akun/masuk?info=sandi-diubah`, 303);
  });
}
