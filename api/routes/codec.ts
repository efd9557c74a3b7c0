import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import type { Payload } from '@temporalio/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CodecKeyError, payloadCodec } from '../../config/codec';
import { loadConfig } from '../../config';
import { createSession, revokeSession } from '../../db/sessions';
import { authenticateToken } from '../../db/users';
import { AppError } from '../errors';
import { CODEC_COOKIE, cookieValue } from '../plugins/auth';
import { errors, TextBody } from '../schemas/common';
import type { ServiceDeps } from '../services/deps';

/**
 * Temporal's remote codec protocol, so the Web UI shows decrypted payloads to auditors and HR
 * only. The UI calls from the browser: CORS for its origins, and besides a bearer token the
 * session cookie set by /codec/login (same site as the UI: 127.0.0.1 on another port).
 */
const JsonPayload = Type.Object({
  metadata: Type.Optional(Type.Record(Type.String(), Type.String())),
  data: Type.Optional(Type.String()),
});
const PayloadsBody = Type.Object(
  { payloads: Type.Array(JsonPayload, { maxItems: 10_000 }) },
  {
    description: "Temporal payloads in the remote codec's JSON form (metadata values and data base64)",
    examples: [{ payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJhIjoxfQ==' }] }],
  },
);
type JsonPayloadT = { metadata?: Record<string, string>; data?: string };

const fromJson = (p: JsonPayloadT): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
  ),
  data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
});
const toJson = (p: Payload): JsonPayloadT => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

const loginPage = (
  hours: number,
): string => `<!doctype html><html lang="id"><head><meta charset="utf-8"><title>Dekripsi payload Temporal</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}input{width:100%;padding:.5rem;font-family:monospace}button{margin-top:1rem;padding:.5rem 1rem}</style></head>
<body><h1>Dekripsi payload di Temporal Web UI</h1>
<p>Riwayat alur kerja disimpan terenkripsi (AES-256-GCM). Auditor dan staf SDM dapat melihat isinya di Temporal Web UI setelah masuk di sini dengan token API mereka. Token ditukar dengan sesi (cookie berisi nomor sesi, bukan token); sesi berlaku ${hours} jam atau sampai keluar.</p>
<p>Di Temporal Web UI, buka pengaturan <em>Codec Server</em> dan aktifkan <em>Include cross-origin credentials</em>.</p>
<form id="f"><label>Token API <input id="t" type="password" autocomplete="off" required></label><button>Masuk</button></form><p><button id="o" type="button">Keluar</button></p><p id="m" role="status"></p>
<script>document.getElementById('f').onsubmit=async(e)=>{e.preventDefault();const r=await fetch('/codec/session',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({token:document.getElementById('t').value})});const b=await r.json();document.getElementById('m').textContent=r.ok?'Berhasil masuk sebagai '+b.username+' ('+b.role+').':b.error.message;};document.getElementById('o').onclick=async()=>{const r=await fetch('/codec/logout',{method:'POST'});document.getElementById('m').textContent=r.ok?'Sesi diakhiri.':'Gagal keluar.';};</script>
</body></html>`;

type App = Parameters<FastifyPluginAsyncTypebox>[0];

export const codecRoutes: FastifyPluginAsyncTypebox<{ deps: ServiceDeps; corsOrigins: string[] }> = async (
  app,
  { deps, corsOrigins },
) => {
  for (const op of ['decode', 'encode'] as const) payloadRoutes(app, op, corsOrigins);
  sessionRoutes(app, deps);
};

/** The CORS headers of a reply to the Web UI (an allowed origin), else none. */
function cors(corsOrigins: string[], req: FastifyRequest, reply: FastifyReply): void {
  const origin = req.headers.origin;
  if (origin && corsOrigins.includes(origin)) {
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-credentials', 'true');
    reply.header('access-control-allow-methods', 'POST, OPTIONS');
    reply.header('access-control-allow-headers', 'content-type, x-namespace, authorization');
    reply.header('access-control-max-age', '600');
    reply.header('vary', 'origin');
  }
}

function codecError(err: unknown): never {
  if (err instanceof CodecKeyError)
    throw new AppError(
      422,
      'CODEC_KEY_UNKNOWN',
      'Payload dienkripsi dengan kunci yang tidak dikonfigurasi di server ini',
      {
        message: err.message,
      },
    );
  throw new AppError(422, 'CODEC_DECRYPT_FAILED', 'Payload tidak dapat didekripsi (rusak atau bukan milik kunci ini)');
}

const PreflightSchema = {
  tags: ['audit'],
  summary: 'CORS preflight for the Temporal Web UI',
  response: {
    204: Type.Unsafe<void>({
      type: 'null',
      description: 'No content; the CORS headers when the Origin is the Web UI',
    }),
  },
};

/** /codec/decode or /codec/encode, and its CORS preflight. */
function payloadRoutes(app: App, op: 'decode' | 'encode', corsOrigins: string[]): void {
  app.options(`/codec/${op}`, { config: { access: 'public' }, schema: PreflightSchema }, async (req, reply) => {
    cors(corsOrigins, req, reply);
    return reply.status(204).send();
  });
  app.post(
    `/codec/${op}`,
    {
      config: { access: ['auditor', 'hr'], cookieAuth: true },
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        tags: ['audit'],
        summary:
          op === 'decode'
            ? 'Temporal remote codec: decrypt payloads (Web UI, auditors and HR)'
            : 'Temporal remote codec: encrypt payloads',
        body: PayloadsBody,
        response: {
          200: { ...PayloadsBody, description: 'The payloads, decoded or encoded, in order' },
          ...errors([422, 'CODEC_KEY_UNKNOWN, CODEC_DECRYPT_FAILED: a payload this server cannot decrypt']),
        },
      },
      onSend: async (req, reply, payload) => {
        cors(corsOrigins, req, reply);
        return payload;
      },
    },
    async (req) => {
      const codec = payloadCodec();
      const input = req.body.payloads.map(fromJson);
      const out = await (op === 'decode' ? codec.decode(input) : codec.encode(input)).catch(codecError);
      req.log.info({ op, payloads: input.length, user: req.user?.username }, 'codec');
      return { payloads: out.map(toJson) };
    },
  );
}

const LoginSchema = {
  tags: ['audit'],
  summary: 'A page where auditors and HR sign in so the Temporal Web UI can decrypt payloads',
  response: { 200: TextBody('The sign-in page (HTML)') },
};
const SessionSchema = {
  tags: ['audit'],
  summary:
    'Sign in for the Web UI codec: exchanges the token for a server-side session (HttpOnly cookie scoped to /codec holding the session id)',
  body: Type.Object(
    { token: Type.String({ minLength: 10, maxLength: 200 }) },
    { additionalProperties: false, examples: [{ token: 'asn_4f9c2b7e1d8a6c3f5e0b9a7d2c4e6f8a' }] },
  ),
  response: {
    200: Type.Object(
      { username: Type.String(), role: Type.String(), expiresAt: Type.String({ format: 'date-time' }) },
      { description: 'Signed in; the session cookie is set' },
    ),
    ...errors(
      [401, 'UNAUTHENTICATED, TOKEN_EXPIRED, TOKEN_REVOKED'],
      [403, 'FORBIDDEN: only auditors and HR may see payloads'],
    ),
  },
};
const LogoutSchema = {
  tags: ['audit'],
  summary: 'Sign out of the Web UI codec: ends the session and clears its cookie',
  response: {
    200: Type.Object(
      { ended: Type.Boolean() },
      { description: 'Signed out (ended: whether a session was open); the cookie is cleared' },
    ),
  },
};

/** The sign-in page, and the session the Web UI's requests carry as a cookie. */
function sessionRoutes(app: App, deps: ServiceDeps): void {
  const open = { access: 'public' as const };
  app.get('/codec/login', { config: open, schema: LoginSchema }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(loginPage(loadConfig().sessionTtlHours)),
  );
  app.post('/codec/session', { config: open, schema: SessionSchema }, async (req, reply) =>
    signIn(deps, req, reply, req.body.token),
  );
  app.post('/codec/logout', { config: open, schema: LogoutSchema }, async (req, reply) => {
    const session = cookieValue(req.headers.cookie);
    if (session) await revokeSession(deps.db, session);
    const secure = req.protocol === 'https' ? '; Secure' : '';
    reply.header('set-cookie', `${CODEC_COOKIE}=; HttpOnly; SameSite=Strict; Path=/codec; Max-Age=0${secure}`);
    return { ended: !!session };
  });
}

/**
 * The token is exchanged for a server-side session: the cookie carries a random session id
 * (HttpOnly, SameSite=Strict, Path=/codec), so the bearer token never sits in the browser.
 */
async function signIn(
  deps: ServiceDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  token: string,
): Promise<{ username: string; role: string; expiresAt: string }> {
  const r = await authenticateToken(deps.db, token);
  if (!('user' in r)) {
    if (r.rejected === 'expired')
      throw new AppError(401, 'TOKEN_EXPIRED', 'Token sudah kedaluwarsa; minta token baru kepada admin SDM');
    if (r.rejected === 'revoked') throw new AppError(401, 'TOKEN_REVOKED', 'Token sudah dicabut; minta token baru');
    throw new AppError(401, 'UNAUTHENTICATED', 'Token tidak valid');
  }
  const user = r.user;
  if (user.role !== 'auditor' && user.role !== 'hr')
    throw new AppError(403, 'FORBIDDEN', `Peran ${user.role} tidak berhak melihat isi payload`);
  const ttlMs = loadConfig().sessionTtlHours * 3_600_000;
  const previous = cookieValue(req.headers.cookie);
  if (previous) await revokeSession(deps.db, previous);
  const { sessionId, expiresAt } = await createSession(deps.db, user.userId, { ttlMs });
  const secure = req.protocol === 'https' ? '; Secure' : '';
  reply.header(
    'set-cookie',
    `${CODEC_COOKIE}=${sessionId}; HttpOnly; SameSite=Strict; Path=/codec; Max-Age=${Math.floor(ttlMs / 1000)}${secure}`,
  );
  return { username: user.username, role: user.role, expiresAt: expiresAt.toISOString() };
}
