import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { startHarness, type Harness } from '../helpers/harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/connection';
import { createUser } from '../../db/users';
import { DAY, JPEG, openRound, PDF, PERAWAT_DOCS, registration } from '../helpers/candidates';
import { rowCounts, testApp, testUsers } from '../helpers/api';
import { uniqueTaskQueue } from '../helpers/temporal';
import { candidateWorkflowId, roundAnnouncedSignal } from '../../contracts';

let env: TestWorkflowEnvironment;
let db: Db;
let h: Harness;
let app: FastifyInstance;
let users: Awaited<ReturnType<typeof testUsers>>;
const taskQueue = uniqueTaskQueue('http');

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

function multipart(
  field: string,
  filename: string,
  content: Buffer,
  contentType: string,
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----asn${Date.now()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    payload: Buffer.concat([head, content, tail]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

describe('a candidate and a reviewer through the HTTP API', () => {
  it('register → upload (type from bytes, size limit, idempotent) → submit → reviewer inbox → TMS → late sanggah refused', async () => {
    const now = await env.currentTimeMs();
    const config = await openRound(db, now, `http-${Date.now().toString(36)}`);
    // This round's verifikator pool is one reviewer.
    const reviewer = await createUser(db, {
      username: `inbox-${Date.now().toString(36)}`,
      displayName: 'Verifikator Inbox',
      role: 'reviewer',
    });
    const rh = { authorization: `Bearer ${reviewer.token}` };
    const pool = await app.inject({
      method: 'PUT',
      url: `/rounds/${config.roundId}/reviewers`,
      headers: users.hr.headers,
      payload: { usernames: [reviewer.user.username] },
    });
    expect(pool.statusCode, pool.body).toBe(200);

    const reg = await app.inject({
      method: 'POST',
      url: `/rounds/${config.roundId}/registrations`,
      payload: registration(),
    });
    expect(reg.statusCode, reg.body).toBe(201);
    const { registrationNo, token } = reg.json();
    const ch = { authorization: `Bearer ${token}` };

    // Another candidate cannot see this application.
    const other = await createUser(db, {
      username: `other-${Date.now()}`,
      displayName: 'Lain',
      role: 'candidate',
      registrationNo: '209900000001',
    });
    const peek = await app.inject({
      method: 'GET',
      url: `/registrations/${registrationNo}`,
      headers: { authorization: `Bearer ${other.token}` },
    });
    expect(peek.statusCode).toBe(403);

    // A PNG named .jpg, a PDF that is too large, an empty file: refused, nothing stored.
    const before = await rowCounts(db, ['documents', 'document_blobs']);
    const png = multipart(
      'file',
      'foto.jpg',
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]),
      'image/jpeg',
    );
    const r1 = await app.inject({
      method: 'POST',
      url: `/registrations/${registrationNo}/documents/pas_foto`,
      headers: { ...ch, ...png.headers },
      payload: png.payload,
    });
    expect([r1.statusCode, r1.json().error.code]).toEqual([422, 'FILE_TYPE']);
    const big = multipart(
      'file',
      'ijazah.pdf',
      Buffer.concat([PDF('x'), Buffer.alloc(900 * 1024, 0x20)]),
      'application/pdf',
    );
    const r2 = await app.inject({
      method: 'POST',
      url: `/registrations/${registrationNo}/documents/ijazah`,
      headers: { ...ch, ...big.headers },
      payload: big.payload,
    });
    expect([r2.statusCode, r2.json().error.code]).toEqual([413, 'FILE_TOO_LARGE']);
    const empty = multipart('file', 'ktp.jpg', Buffer.alloc(0), 'image/jpeg');
    const r3 = await app.inject({
      method: 'POST',
      url: `/registrations/${registrationNo}/documents/ktp`,
      headers: { ...ch, ...empty.headers },
      payload: empty.payload,
    });
    expect([r3.statusCode, r3.json().error.code]).toEqual([422, 'FILE_EMPTY']);
    expect(await rowCounts(db, ['documents', 'document_blobs'])).toEqual(before);

    const ids: string[] = [];
    for (const kind of PERAWAT_DOCS) {
      const jpeg = ['pas_foto', 'swafoto', 'ktp'].includes(kind);
      const m = multipart(
        'file',
        jpeg ? `${kind}.jpg` : `${kind}.pdf`,
        jpeg ? JPEG(kind) : PDF(kind),
        jpeg ? 'image/jpeg' : 'application/pdf',
      );
      const up = await app.inject({
        method: 'POST',
        url: `/registrations/${registrationNo}/documents/${kind}`,
        headers: { ...ch, ...m.headers },
        payload: m.payload,
      });
      expect(up.statusCode, up.body).toBe(201);
      ids.push(up.json().documentId);
      if (kind === 'ktp') {
        const again = await app.inject({
          method: 'POST',
          url: `/registrations/${registrationNo}/documents/${kind}`,
          headers: { ...ch, ...m.headers },
          payload: m.payload,
        });
        expect(again.json().documentId).toBe(up.json().documentId); // the same file twice is idempotent
      }
    }
    const submit = await app.inject({
      method: 'POST',
      url: `/registrations/${registrationNo}/documents/submit`,
      headers: ch,
      payload: { documentIds: ids },
    });
    expect(submit.statusCode, submit.body).toBe(200);
    expect(submit.json().documents).toHaveLength(PERAWAT_DOCS.length);

    await env.sleep(Date.parse(config.schedule.registrationCloses) + 60_000 - (await env.currentTimeMs()));
    await expect
      .poll(
        async () =>
          (await app.inject({ method: 'GET', url: `/registrations/${registrationNo}`, headers: ch })).json().stage,
      )
      .toBe('verification');
    const status = (
      await app.inject({ method: 'GET', url: `/registrations/${registrationNo}`, headers: users.hr.headers })
    ).json();
    expect(status.reviewer).toBe(reviewer.user.username);
    const inbox = await app.inject({ method: 'GET', url: '/tasks', headers: rh });
    const task = inbox.json().items.find((t: { registrationNo: string }) => t.registrationNo === registrationNo);
    expect(task).toMatchObject({ kind: 'verification', status: 'open', dueAt: expect.any(String) });

    // The validator's refusal becomes a 422 with its message; the decision then lands.
    const partial = await app.inject({
      method: 'POST',
      url: `/tasks/${encodeURIComponent(task.taskId)}/decision`,
      headers: rh,
      payload: { decisions: [{ kind: 'ktp', result: 'MS' }] },
    });
    expect([partial.statusCode, partial.json().error.code]).toEqual([422, 'INVALID_DECISION']);
    const decisions = PERAWAT_DOCS.map((kind) =>
      kind === 'str' ? { kind, result: 'TMS', reason: 'STR kedaluwarsa' } : { kind, result: 'MS' },
    );
    const decided = await app.inject({
      method: 'POST',
      url: `/tasks/${encodeURIComponent(task.taskId)}/decision`,
      headers: rh,
      payload: { decisions },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(decided.json().administrasi).toBe('TMS');
    const twice = await app.inject({
      method: 'POST',
      url: `/tasks/${encodeURIComponent(task.taskId)}/decision`,
      headers: rh,
      payload: { decisions },
    });
    expect([twice.statusCode, twice.json().error.code]).toEqual([409, 'TASK_FINISHED']);

    // The round announces (here the test, as the round would); no appeal in the window; a late one
    // is refused with a clear message.
    await env.client.workflow.getHandle(candidateWorkflowId(registrationNo)).signal(roundAnnouncedSignal, {
      announcement: 'administrasi',
      at: config.schedule.announcementAt,
      phaseKey: 'announce-administrasi',
    });
    await env.sleep(
      Date.parse(config.schedule.announcementAt) +
        config.schedule.sanggahDays * DAY +
        60_000 -
        (await env.currentTimeMs()),
    );
    await expect
      .poll(
        async () =>
          (await app.inject({ method: 'GET', url: `/registrations/${registrationNo}`, headers: ch })).json().outcome,
      )
      .toBe('tms');
    const late = await app.inject({
      method: 'POST',
      url: `/registrations/${registrationNo}/sanggah`,
      headers: ch,
      payload: { reason: 'STR saya masih berlaku, mohon diperiksa kembali dengan teliti' },
    });
    expect([late.statusCode, late.json().error.code]).toEqual([409, 'WINDOW_CLOSED']);
    expect(late.json().error.message).toMatch(/Masa sanggah telah berakhir/);
  });
});
