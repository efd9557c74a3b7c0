import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/connection';
import { createUser } from '../../db/users';
import { DRH_LIMITS, SANGGAH_REASON_LIMITS } from '../../domain';
import { sampleDrh } from '../../demo/synthetic';
import { startHarness, type Harness } from '../helpers/harness';
import { JPEG, openRound, PDF, PERAWAT_DOCS, registration } from '../helpers/candidates';
import { rowCounts, testApp, testUsers } from '../helpers/api';
import { uniqueTaskQueue } from '../helpers/temporal';
import { readPdf } from '../helpers/pdf';

let env: TestWorkflowEnvironment;
let db: Db;
let h: Harness;
let app: FastifyInstance;
let users: Awaited<ReturnType<typeof testUsers>>;
const taskQueue = uniqueTaskQueue('card');
/** A JSON schema as the OpenAPI document gives it. */
interface Schema {
  properties: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  minLength?: number;
  maxLength?: number;
}

beforeAll(async () => {
  h = await startHarness(taskQueue);
  ({ env, db } = h);
  app = await testApp(env, db, taskQueue, { max: 1000, timeWindow: 60_000 });
  users = await testUsers(db);
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

function multipart(content: Buffer, contentType: string): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----asn${Date.now()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="berkas"\r\nContent-Type: ${contentType}\r\n\r\n`,
  );
  return {
    payload: Buffer.concat([head, content, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

describe('programme chosen from the formation list', () => {
  it('refuses a programme not on the list with the accepted ones named; stores the formation spelling of a listed one', async () => {
    const config = await openRound(db, await env.currentTimeMs(), `prog-${Date.now().toString(36)}`);
    const accepted = config.formations.find((f) => f.formationId === 'DINKES-PERAWAT')!.educationPrograms;
    const before = await rowCounts(db, ['applications']);
    const bad = await app.inject({
      method: 'POST',
      url: `/rounds/${config.roundId}/registrations`,
      payload: registration({ education: { level: 'S1', program: 'Ilmu Keperawatan', ipk: 350 } }),
    });
    expect(bad.statusCode, bad.body).toBe(422);
    const err = bad.json().error as {
      code: string;
      details: { code: string; message: string; details?: { accepted: string[] } }[];
    };
    expect(err.code).toBe('NOT_ELIGIBLE');
    const program = err.details.find((d) => d.code === 'EDUCATION_PROGRAM')!;
    expect(program.details?.accepted).toEqual(accepted);
    for (const p of accepted) expect(program.message).toContain(p);
    expect(await rowCounts(db, ['applications'])).toEqual(before);

    const ok = await app.inject({
      method: 'POST',
      url: `/rounds/${config.roundId}/registrations`,
      payload: registration({ education: { level: 'S1', program: `  ${accepted[0]!.toUpperCase()}  `, ipk: 350 } }),
    });
    expect(ok.statusCode, ok.body).toBe(201);
    const row = await db
      .selectFrom('applications')
      .select('education_program')
      .where('registration_no', '=', ok.json().registrationNo)
      .executeTakeFirstOrThrow();
    expect(row.education_program).toBe(accepted[0]);
  });
});

describe('sanggah limits and the DRH in the API contract', () => {
  it('the OpenAPI document carries the domain limits for the sanggah and the typed DRH', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>>;
    };
    const sanggah =
      doc.paths['/registrations/{registrationNo}/sanggah']!.post!.requestBody!.content['application/json']!.schema;
    expect([sanggah.properties.reason!.minLength, sanggah.properties.reason!.maxLength]).toEqual([
      SANGGAH_REASON_LIMITS.min,
      SANGGAH_REASON_LIMITS.max,
    ]);
    const drh =
      doc.paths['/registrations/{registrationNo}/drh']!.post!.requestBody!.content['application/json']!.schema
        .properties.drh!;
    expect(drh.additionalProperties).toBe(false);
    expect(drh.required).toEqual(expect.arrayContaining(['identitas', 'pendidikan', 'keluarga', 'pernyataan']));
    expect(drh.properties.identitas!.properties.namaLengkap!.maxLength).toBe(DRH_LIMITS.name);
    expect(JSON.stringify(drh.properties.identitas!.properties.agama)).toContain('"khonghucu"');
  });

  it('a free key/value DRH is refused by the schema, a wrong typed DRH by the rules with every field, before the workflow is asked', async () => {
    const config = await openRound(db, await env.currentTimeMs(), `drh-${Date.now().toString(36)}`);
    const reg = await app.inject({
      method: 'POST',
      url: `/rounds/${config.roundId}/registrations`,
      payload: registration({ birthDate: '1997-03-09', sex: 'L' }),
    });
    const { registrationNo, token } = reg.json();
    const ch = { authorization: `Bearer ${token}` };
    const bag = await app.inject({
      method: 'POST',
      url: `/registrations/${registrationNo}/drh`,
      headers: ch,
      payload: { drh: { alamat: 'Medan' } },
    });
    expect(bag.statusCode, bag.body).toBe(400);
    expect(bag.json().error.code).toBe('VALIDATION_FAILED');
    const drh = sampleDrh({
      index: 1,
      fullName: 'Siti Aminah Lubis',
      birthDate: '1997-03-10',
      sex: 'L',
      educationLevel: 'S1',
    });
    drh.identitas.nomorHp = '0812';
    const wrong = await app.inject({
      method: 'POST',
      url: `/registrations/${registrationNo}/drh`,
      headers: ch,
      payload: { drh },
    });
    expect(wrong.statusCode, wrong.body).toBe(422);
    expect(wrong.json().error.code).toBe('INVALID_DRH');
    expect((wrong.json().error.details as { field: string }[]).map((d) => d.field).sort()).toEqual([
      'identitas.nomorHp',
      'identitas.tanggalLahir',
    ]);
    // A right DRH at the wrong stage reaches the workflow, which refuses it as before.
    const early = await app.inject({
      method: 'POST',
      url: `/registrations/${registrationNo}/drh`,
      headers: ch,
      payload: {
        drh: sampleDrh({
          index: 1,
          fullName: 'Siti Aminah Lubis',
          birthDate: '1997-03-09',
          sex: 'L',
          educationLevel: 'S1',
        }),
      },
    });
    expect(early.statusCode, early.body).toBe(409);
    expect(early.json().error.code).toBe('WRONG_STAGE');
    const short = await app.inject({
      method: 'POST',
      url: `/registrations/${registrationNo}/sanggah`,
      headers: ch,
      payload: { reason: `${' '.repeat(10)}${'x'.repeat(SANGGAH_REASON_LIMITS.min - 1)}` },
    });
    expect(short.statusCode, short.body).toBe(422);
    expect(short.json().error.code).toBe('INVALID_SANGGAH');
  });
});

describe('registration card', () => {
  it('is a PDF with the registration, the formation and the submitted documents, and a QR code that reads the registration number; only the candidate and HR get it', async () => {
    const config = await openRound(db, await env.currentTimeMs(), `card-${Date.now().toString(36)}`);
    const reg = await app.inject({
      method: 'POST',
      url: `/rounds/${config.roundId}/registrations`,
      payload: registration({ fullName: 'Rahmat Hidayat Nasution', sex: 'L', birthDate: '1995-11-02' }),
    });
    expect(reg.statusCode, reg.body).toBe(201);
    const { registrationNo, token } = reg.json();
    const ch = { authorization: `Bearer ${token}` };
    const ids: string[] = [];
    for (const kind of PERAWAT_DOCS) {
      const m = ['pas_foto', 'swafoto', 'ktp'].includes(kind)
        ? multipart(JPEG(`${registrationNo}-${kind}`), 'image/jpeg')
        : multipart(PDF(`${registrationNo}-${kind}`), 'application/pdf');
      const up = await app.inject({
        method: 'POST',
        url: `/registrations/${registrationNo}/documents/${kind}`,
        headers: { ...ch, ...m.headers },
        payload: m.payload,
      });
      expect(up.statusCode, up.body).toBe(201);
      ids.push(up.json().documentId);
    }
    const sub = await app.inject({
      method: 'POST',
      url: `/registrations/${registrationNo}/documents/submit`,
      headers: ch,
      payload: { documentIds: ids },
    });
    expect(sub.statusCode, sub.body).toBe(200);
    // The read model follows the workflow's write a moment later.
    for (let i = 0; i < 100; i++) {
      const st = (await app.inject({ method: 'GET', url: `/registrations/${registrationNo}`, headers: ch })).json() as {
        documents: unknown[];
      };
      if (st.documents.length === PERAWAT_DOCS.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    const res = await app.inject({ method: 'GET', url: `/registrations/${registrationNo}/card.pdf`, headers: ch });
    expect(res.statusCode, res.body.slice(0, 200)).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toContain(`kartu-pendaftaran-${registrationNo}.pdf`);
    const card = await readPdf(res.rawPayload);
    expect(card.pages).toBe(1);
    expect(card.qr).toBe(registrationNo);
    expect(card.text).toContain('KARTU PENDAFTARAN');
    expect(card.text).toContain(registrationNo);
    expect(card.text).toContain('Rahmat Hidayat Nasution');
    expect(card.text).toContain('2 November 1995');
    const f = config.formations.find((x) => x.formationId === 'DINKES-PERAWAT')!;
    expect(card.text).toContain(f.jabatan);
    for (const kind of PERAWAT_DOCS)
      expect(card.text).toContain(config.documentRules[kind as keyof typeof config.documentRules].label);
    // The printed NIK hides the birth-date digits.
    const nik = registration().nik;
    expect(card.text).not.toContain(nik);

    const hr = await app.inject({
      method: 'GET',
      url: `/registrations/${registrationNo}/card.pdf`,
      headers: users.hr.headers,
    });
    expect(hr.statusCode).toBe(200);
    expect((await readPdf(hr.rawPayload)).qr).toBe(registrationNo);
    const other = await createUser(db, {
      username: `card-other-${Date.now()}`,
      displayName: 'Lain',
      role: 'candidate',
      registrationNo: '209900000002',
    });
    const peek = await app.inject({
      method: 'GET',
      url: `/registrations/${registrationNo}/card.pdf`,
      headers: { authorization: `Bearer ${other.token}` },
    });
    expect(peek.statusCode).toBe(403);
    expect(peek.json().error.code).toBe('NOT_OWNER');
    const missing = await app.inject({
      method: 'GET',
      url: '/registrations/209999999999/card.pdf',
      headers: users.hr.headers,
    });
    expect(missing.statusCode).toBe(404);
  }, 120_000);
});
