import { Client, Connection } from '@temporalio/client';
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { undocumentedRoutes } from '../../api/openapi';
import type { Db } from '../../db/connection';
import { testUsers } from '../helpers/api';
import { enforceContract } from '../helpers/contract';
import { testDb } from '../helpers/temporal';

/**
 * The OpenAPI document is the API: checked here as a whole (security, statuses, schemas,
 * descriptions, examples) and, for Fastify's own errors, reply by reply. The replies of the
 * other API and e2e tests are checked against it by test/helpers/contract.ts.
 */
let db: Db;
let app: FastifyInstance;
let conn: Connection;
let users: Awaited<ReturnType<typeof testUsers>>;

interface Media {
  schema?: Record<string, unknown>;
  example?: unknown;
  examples?: unknown;
}
interface Operation {
  security?: unknown[];
  requestBody?: { content: Record<string, Media> };
  parameters?: { in: string; name: string }[];
  responses: Record<string, { description?: string; content?: Record<string, Media> }>;
}
let doc: { paths: Record<string, Record<string, Operation>> };

beforeAll(async () => {
  db = testDb();
  conn = Connection.lazy({ address: '127.0.0.1:1' }); // nothing here reaches Temporal
  app = await buildApp({
    deps: { db, client: new Client({ connection: conn }), connection: conn, taskQueue: 'unused' },
  });
  enforceContract(app);
  await app.ready();
  users = await testUsers(db);
  doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
});
afterAll(async () => {
  await app?.close();
  await conn?.close();
  await db?.destroy();
});

const operations = (): {
  name: string;
  access: string | readonly string[];
  op: Operation;
  method: string;
  url: string;
}[] =>
  app.routeTable
    .filter((r) => !undocumentedRoutes.has(`${r.method} ${r.url}`))
    .map((r) => ({
      name: `${r.method} ${r.url}`,
      access: r.access,
      method: r.method,
      url: r.url,
      op: doc.paths[r.url.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()] as Operation,
    }));

describe('the OpenAPI document as a whole', () => {
  it("declares security from each route's access: public → security: [], else bearer with 401 and 403", () => {
    const wrong: string[] = [];
    for (const { name, access, op } of operations()) {
      if (!op) {
        wrong.push(`${name}: not in the document`);
        continue;
      }
      if (access === 'public') {
        if (JSON.stringify(op.security) !== '[]')
          wrong.push(`${name}: public but security is ${JSON.stringify(op.security)}`);
      } else {
        if (JSON.stringify(op.security) !== '[{"bearer":[]}]')
          wrong.push(`${name}: needs ${String(access)} but security is ${JSON.stringify(op.security)}`);
        for (const s of ['401', '403']) if (!op.responses[s]) wrong.push(`${name}: protected, does not document ${s}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(operations().filter((o) => o.access === 'public').length).toBeGreaterThanOrEqual(10);
  });

  it('gives every response a description and a schema (errors in the envelope), every request body an example', () => {
    const wrong: string[] = [];
    for (const { name, op } of operations()) {
      if (!op) continue;
      for (const [status, r] of Object.entries(op.responses)) {
        if (!r.description || r.description === 'Default Response') wrong.push(`${name} ${status}: no description`);
        if (status === '204') {
          if (r.content) wrong.push(`${name} 204: has content`);
          continue;
        }
        const media = Object.entries(r.content ?? {});
        if (!media.length) wrong.push(`${name} ${status}: no content`);
        for (const [type, m] of media) {
          const s = m.schema ?? {};
          if (!s.type && !s.anyOf && !s.oneOf && !s.properties)
            wrong.push(`${name} ${status} ${type}: schema says nothing (${JSON.stringify(s).slice(0, 60)})`);
          if (Number(status) >= 400) {
            const props = (s.properties ?? {}) as Record<
              string,
              { properties?: Record<string, unknown>; required?: string[] }
            >;
            if (
              type !== 'application/json' ||
              !props.error?.properties?.code ||
              !props.error.properties.message ||
              !(s.required as string[] | undefined)?.includes('error')
            )
              wrong.push(`${name} ${status}: not the error envelope`);
          }
        }
      }
      for (const [type, m] of Object.entries(op.requestBody?.content ?? {})) {
        if (m.example === undefined && m.examples === undefined)
          wrong.push(`${name} ${type}: request body without an example`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lists the statuses the routes answer: 404 where an id is looked up, 415 on imports and uploads, 400 on an unknown phase, 204 on the codec preflight', () => {
    const op = (method: string, path: string): Operation => doc.paths[path]![method]!;
    const has = (method: string, path: string, ...statuses: string[]) =>
      expect(Object.keys(op(method, path).responses), `${method} ${path}`).toEqual(expect.arrayContaining(statuses));
    has('get', '/rounds/{roundId}/histories', '200', '401', '403', '404');
    has('get', '/rounds/{roundId}/report', '200', '404');
    has('get', '/rounds/{roundId}/announcements/{phase}/html', '200', '400', '404');
    has('get', '/rounds/{roundId}/announcements/{phase}', '200', '400', '404');
    has('post', '/rounds/{roundId}/imports/{exam}', '200', '202', '409', '415', '422');
    has('post', '/registrations/{registrationNo}/documents/{kind}', '201', '413', '415', '404');
    has('options', '/codec/decode', '204');
    has('post', '/rounds/{roundId}/registrations', '201', '404', '409', '422', '429');
    expect(Object.keys(op('post', '/rounds/{roundId}/imports/{exam}').requestBody!.content)).toContain('text/csv');
    expect(Object.keys(op('post', '/registrations/{registrationNo}/documents/{kind}').requestBody!.content)).toContain(
      'multipart/form-data',
    );
    expect(op('get', '/rounds/{roundId}/report').responses['200']!.content).toHaveProperty(['text/html']);
    for (const [method, path] of [
      ['post', '/rounds/{roundId}/registrations'],
      ['post', '/registrations/{registrationNo}/documents/submit'],
      ['post', '/careers/{nip}/probation/latsar'],
      ['post', '/rounds/{roundId}/rankings/{kind}'],
    ]) {
      expect(
        op(method!, path!).parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'),
        `${method} ${path} Idempotency-Key`,
      ).toBe(true);
    }
  });
});

describe("Fastify's own errors in the envelope", () => {
  const envelope = (
    res: { statusCode: number; json: () => unknown; headers: Record<string, unknown> },
    status: number,
    code: string,
  ) => {
    expect(res.statusCode).toBe(status);
    expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  };

  it('414 for a path parameter over 100 characters', async () => {
    envelope(await app.inject({ method: 'GET', url: `/rounds/${'a'.repeat(101)}` }), 414, 'URI_TOO_LONG');
  });

  it('415 for a body of an unsupported type', async () => {
    envelope(
      await app.inject({
        method: 'POST',
        url: '/rounds',
        headers: { ...users.hr.headers, 'content-type': 'application/xml' },
        payload: '<round/>',
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('404 for an unknown route, 405 for a known path with another method', async () => {
    envelope(await app.inject({ method: 'GET', url: '/admin/tidak-ada' }), 404, 'ROUTE_NOT_FOUND');
    const res = await app.inject({ method: 'DELETE', url: '/rounds/r-1' });
    envelope(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('400 MALFORMED_JSON for broken JSON, 413 for a body over the limit', async () => {
    envelope(
      await app.inject({
        method: 'POST',
        url: '/rounds/r-1/comments',
        headers: { 'content-type': 'application/json' },
        payload: '{"author":',
      }),
      400,
      'MALFORMED_JSON',
    );
    envelope(
      await app.inject({
        method: 'POST',
        url: '/rounds/r-1/comments',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ author: 'x', body: 'y'.repeat(2 * 1024 * 1024) }),
      }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('validation messages in Bahasa Indonesia, an enum failure listing the allowed values once', async () => {
    const res = await app.inject({ method: 'GET', url: '/rounds/r-1/announcements/wawancara' });
    envelope(res, 400, 'VALIDATION_FAILED');
    const details = (res.json() as { error: { details: { field: string; message: string }[] } }).error.details;
    expect(details).toEqual([
      { field: '/phase', message: expect.stringMatching(/^harus salah satu dari: .*\bfinal\b/) },
    ]);

    const reg = await app.inject({
      method: 'POST',
      url: '/rounds/r-1/registrations',
      payload: {
        nik: '1271011505950001',
        fullName: 'Siti',
        birthDate: '1995-05-15',
        sex: 'X',
        email: 'siti@example.id',
        formationId: 'F1',
        category: 'umum',
        education: { level: 'S1', program: 'Keperawatan', ipk: 350 },
        umur: 30,
      },
    });
    envelope(reg, 400, 'VALIDATION_FAILED');
    const regDetails = (reg.json() as { error: { details: { field: string; message: string }[] } }).error.details;
    expect(regDetails).toEqual(
      expect.arrayContaining([
        { field: '/sex', message: 'harus salah satu dari: L, P' },
        { field: '/umur', message: 'tidak boleh memiliki properti tambahan' },
      ]),
    );
    expect(regDetails.filter((d) => d.field === '/sex')).toHaveLength(1);
    expect(JSON.stringify(regDetails)).not.toMatch(/must|constant/);
  });
});

describe('the contract check of test/helpers/contract.ts', () => {
  it('fails a reply whose status is undocumented, whose body contradicts its schema, or that the serialiser changed, naming route, status and error', async () => {
    const probe = await buildApp({
      deps: { db, client: new Client({ connection: conn }), connection: conn, taskQueue: 'unused' },
    });
    probe.get(
      '/probe/:mode',
      {
        config: { access: 'public' },
        schema: {
          params: Type.Object({ mode: Type.String() }),
          response: { 200: Type.Object({ a: Type.String() }, { description: 'ok' }) },
        },
      },
      async (req, reply) => {
        const mode = (req.params as { mode: string }).mode;
        if (mode === 'teapot') return reply.status(418 as 200).send({ error: { code: 'TEAPOT', message: 'x' } });
        if (mode === 'wrong') return reply.type('application/json').send(JSON.stringify({ a: 5 }));
        if (mode === 'html') return reply.type('text/html').send('<p>x</p>');
        return { a: 'x', extra: 1 };
      },
    );
    const contract = enforceContract(probe);
    await probe.ready();
    try {
      await expect(probe.inject({ method: 'GET', url: '/probe/teapot' })).rejects.toThrow(
        /GET \/probe\/:mode → 418: status 418 is not documented/,
      );
      await expect(probe.inject({ method: 'GET', url: '/probe/wrong' })).rejects.toThrow(
        /GET \/probe\/:mode → 200: the body does not match the documented schema: data\/a must be string/,
      );
      await expect(probe.inject({ method: 'GET', url: '/probe/html' })).rejects.toThrow(
        /content type "text\/html" is not documented/,
      );
      await expect(probe.inject({ method: 'GET', url: '/probe/narrow' })).rejects.toThrow(
        /the response schema changed the reply \(too narrow\?\): \/extra: dropped by the serialiser/,
      );
      expect(contract.violations).toHaveLength(4);
      // Replies of no route must be the envelope too; these are.
      expect((await probe.inject({ method: 'GET', url: '/nirgendwo' })).statusCode).toBe(404);
    } finally {
      await expect(probe.close()).rejects.toThrow(/replies that contradict the OpenAPI document/);
    }
  });
});
