import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { ENCRYPTED_ENCODING, payloadCodec } from '../../config/codec';
import type { Db } from '../../db/connection';
import { testUsers } from '../helpers/api';
import { testDb } from '../helpers/temporal';
import { enforceContract } from '../helpers/contract';

/** The remote codec endpoint of the Temporal Web UI: auditors and HR only, from the UI's origin. */
let db: Db;
let app: FastifyInstance;
let conn: Connection;
let users: Awaited<ReturnType<typeof testUsers>>;
const UI = 'http://127.0.0.1:8233';

beforeAll(async () => {
  db = testDb();
  conn = Connection.lazy({ address: '127.0.0.1:1' }); // the codec needs no Temporal server
  app = await buildApp({
    deps: { db, client: new Client({ connection: conn }), connection: conn, taskQueue: 'unused' },
    codecCorsOrigins: [UI],
  });
  enforceContract(app);
  await app.ready();
  users = await testUsers(db);
});
afterAll(async () => {
  await app?.close();
  await conn?.close();
  await db?.destroy();
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('/codec/decode', () => {
  it('decrypts for auditors and HR, refuses everyone else, answers the UI with CORS', async () => {
    const [enc] = await payloadCodec().encode([
      {
        metadata: { encoding: new Uint8Array(Buffer.from('json/plain')) },
        data: new Uint8Array(Buffer.from('{"alamat":"Jl. Gatot Subroto, Medan"}')),
      },
    ]);
    const body = {
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(enc!.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
          ),
          data: Buffer.from(enc!.data!).toString('base64'),
        },
      ],
    };
    expect(Buffer.from(body.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);

    for (const role of ['auditor', 'hr'] as const) {
      const r = await app.inject({
        method: 'POST',
        url: '/codec/decode',
        headers: { ...users[role].headers, origin: UI, 'x-namespace': 'default' },
        payload: body,
      });
      expect(r.statusCode, r.body).toBe(200);
      expect(Buffer.from(r.json().payloads[0].data, 'base64').toString()).toBe('{"alamat":"Jl. Gatot Subroto, Medan"}');
      expect(r.headers['access-control-allow-origin']).toBe(UI);
      expect(r.headers['access-control-allow-credentials']).toBe('true');
    }
    for (const role of ['reviewer', 'supervisor', 'candidate'] as const) {
      const r = await app.inject({ method: 'POST', url: '/codec/decode', headers: users[role].headers, payload: body });
      expect([role, r.statusCode, r.json().error.code]).toEqual([role, 403, 'FORBIDDEN']);
    }
    const anon = await app.inject({ method: 'POST', url: '/codec/decode', payload: body });
    expect([anon.statusCode, anon.json().error.code]).toEqual([401, 'UNAUTHENTICATED']);

    // Preflight: only the configured UI origin is answered.
    const pre = await app.inject({
      method: 'OPTIONS',
      url: '/codec/decode',
      headers: { origin: UI, 'access-control-request-method': 'POST' },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-headers']).toContain('x-namespace');
    const evil = await app.inject({
      method: 'OPTIONS',
      url: '/codec/decode',
      headers: { origin: 'https://evil.example' },
    });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();

    // A tampered payload or an unknown key: 422 with a stable code, never a 500.
    const tampered = { payloads: [{ ...body.payloads[0]!, data: b64('not the ciphertext at all, long enough') }] };
    const t = await app.inject({
      method: 'POST',
      url: '/codec/decode',
      headers: users.auditor.headers,
      payload: tampered,
    });
    expect([t.statusCode, t.json().error.code]).toEqual([422, 'CODEC_DECRYPT_FAILED']);
    const unknown = {
      payloads: [
        {
          metadata: { ...body.payloads[0]!.metadata, 'encryption-key-id': b64('retired-2019') },
          data: body.payloads[0]!.data,
        },
      ],
    };
    const u = await app.inject({
      method: 'POST',
      url: '/codec/decode',
      headers: users.auditor.headers,
      payload: unknown,
    });
    expect([u.statusCode, u.json().error.code]).toEqual([422, 'CODEC_KEY_UNKNOWN']);
  });

  it('the Web UI signs in once: an HttpOnly cookie scoped to /codec, for auditors and HR only', async () => {
    const page = await app.inject({ method: 'GET', url: '/codec/login' });
    expect(page.body).toContain('Dekripsi payload');
    const token = users.auditor.headers.authorization.slice('Bearer '.length);
    const s = await app.inject({ method: 'POST', url: '/codec/session', payload: { token } });
    expect(s.statusCode, s.body).toBe(200);
    const cookie = String(s.headers['set-cookie']);
    expect(cookie).toMatch(/^asn_codec=.+; HttpOnly; SameSite=Strict; Path=\/codec; Max-Age=28800$/);
    const r = await app.inject({
      method: 'POST',
      url: '/codec/decode',
      headers: { cookie: cookie.split(';')[0]!, origin: UI },
      payload: { payloads: [] },
    });
    expect(r.statusCode).toBe(200);
    // The cookie opens nothing else.
    const other = await app.inject({ method: 'GET', url: '/rounds', headers: { cookie: cookie.split(';')[0]! } });
    expect(other.statusCode).toBe(401);
    const rv = await app.inject({
      method: 'POST',
      url: '/codec/session',
      payload: { token: users.reviewer.headers.authorization.slice(7) },
    });
    expect([rv.statusCode, rv.json().error.code]).toEqual([403, 'FORBIDDEN']);
  });
});
