import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { startHarness, type Harness } from '../helpers/harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/connection';
import { createUser } from '../../db/users';
import {
  comparableStatus,
  DAY,
  JPEG,
  openRound,
  PDF,
  PERAWAT_DOCS,
  registerCandidate,
  registration,
  uploadAll,
} from '../helpers/candidates';
import { candidateStatus, submitDocuments } from '../../api/services/documents';
import { rowCounts, testApp, testUsers } from '../helpers/api';
import { uniqueTaskQueue } from '../helpers/temporal';
import { candidateStatusQuery, candidateWorkflowId, roundAnnouncedSignal, roundChain } from '../../contracts';
import { createCandidateActivities } from '../../activities/candidate';
import { verifyChain } from '../../db/audit';

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
    // This round's verifikator pool is one reviewer.
    const { config, reviewer, rh } = await roundWithReviewer('inbox');

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

/** An open round whose reviewer pool is one new reviewer (HR sets it through the API). */
async function roundWithReviewer(tag: string, overrides: Parameters<typeof openRound>[3] = {}) {
  const config = await openRound(db, await env.currentTimeMs(), `http-${tag}-${Date.now().toString(36)}`, overrides);
  const reviewer = await createUser(db, {
    username: `${tag}-${Date.now().toString(36)}`,
    displayName: `Verifikator ${tag}`,
    role: 'reviewer',
  });
  const pool = await app.inject({
    method: 'PUT',
    url: `/rounds/${config.roundId}/reviewers`,
    headers: users.hr.headers,
    payload: { usernames: [reviewer.user.username] },
  });
  expect(pool.statusCode, pool.body).toBe(200);
  return { config, reviewer, rh: { authorization: `Bearer ${reviewer.token}` } };
}

/**
 * A round with one reviewer in its pool, and one candidate of it whose documents are in that
 * reviewer's inbox (registration closed).
 */
async function candidateInInbox(tag: string, overrides: Parameters<typeof openRound>[3] = {}) {
  const { config, reviewer, rh } = await roundWithReviewer(tag, overrides);
  const deps = { db, client: env.client, connection: env.connection, taskQueue };
  const { registrationNo } = await registerCandidate(deps, config.roundId);
  await submitDocuments(deps, registrationNo, await uploadAll(deps, registrationNo, PERAWAT_DOCS));
  await env.sleep(Date.parse(config.schedule.registrationCloses) + 60_000 - (await env.currentTimeMs()));
  const inbox = async () =>
    (await app.inject({ method: 'GET', url: '/tasks', headers: rh })).json().items as {
      taskId: string;
      kind: string;
    }[];
  await expect.poll(async () => (await inbox()).length).toBe(1);
  const [task] = await inbox();
  return { config, reviewer, rh, deps, registrationNo, inbox, task: task! };
}

/** Every document MS but the STR. */
const TMS_STR = {
  decisions: PERAWAT_DOCS.map((kind) =>
    kind === 'str' ? { kind, result: 'TMS', reason: 'STR kedaluwarsa' } : { kind, result: 'MS' },
  ),
};

describe('a decision that ends the candidate process', () => {
  it('answers its retry (same Idempotency-Key) with the first answer, after the process has ended', async () => {
    // No sanggah in this round: a TMS ends the candidate's process at once.
    const { rh, registrationNo, task } = await candidateInInbox('end', { sanggahStages: ['final'] });
    const decide = () =>
      app.inject({
        method: 'POST',
        url: `/tasks/${encodeURIComponent(task.taskId)}/decision`,
        headers: { ...rh, 'idempotency-key': `end-${registrationNo}-decision` },
        payload: TMS_STR,
      });
    const first = await decide();
    expect(first.statusCode, first.body).toBe(200);
    const handle = env.client.workflow.getHandle(candidateWorkflowId(registrationNo));
    await handle.result();
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    // The answer to the first attempt was lost (say); the client sends it again.
    const again = await decide();
    expect(again.statusCode, again.body).toBe(200);
    // Temporal keeps the Update's outcome with the closed workflow: the first answer, again.
    expect(again.json()).toEqual(first.json());
    expect(first.json()).toMatchObject({ registrationNo, administrasi: 'TMS' });
  });
});

describe('writes of a workflow task that never completed', () => {
  it('a sanggah and its task the process never accepted are undone at its end; the reviewer is told, not failed', async () => {
    const { config, reviewer, rh, deps, registrationNo, inbox, task: verification } = await candidateInInbox('ghost');
    const tms = await app.inject({
      method: 'POST',
      url: `/tasks/${encodeURIComponent(verification.taskId)}/decision`,
      headers: rh,
      payload: TMS_STR,
    });
    expect(tms.statusCode, tms.body).toBe(200);
    const handle = env.client.workflow.getHandle(candidateWorkflowId(registrationNo));
    await handle.signal(roundAnnouncedSignal, {
      announcement: 'administrasi',
      at: config.schedule.announcementAt,
      phaseKey: 'announce-administrasi',
    });
    await expect.poll(async () => (await handle.query(candidateStatusQuery)).deadlines.sanggah).toBeDefined();

    // What the handler of an appeal and the step after it write (local activities) inside a
    // workflow task whose worker stopped before completing it: the workflow never saw them.
    const lost = createCandidateActivities({ db });
    const at = new Date(await env.currentTimeMs()).toISOString();
    const ctx = { registrationNo, roundId: config.roundId, at };
    await lost.recordSanggahFiled({ ...ctx, stage: 'administrasi', reason: 'Ijazah saya sesuai kualifikasi formasi' });
    const ghost = await lost.assignTask({
      ...ctx,
      kind: 'sanggah',
      stage: 'administrasi',
      attempt: 1,
      exclude: [reviewer.user.username],
      dueAt: new Date(Date.parse(at) + 10 * DAY).toISOString(),
    });
    expect((await inbox()).map((t) => t.kind)).toEqual(['sanggah']);

    // The window ends with no appeal on record in the workflow: the process ends TMS.
    await env.sleep(
      Date.parse(config.schedule.announcementAt) +
        config.schedule.sanggahDays * DAY +
        60_000 -
        (await env.currentTimeMs()),
    );
    const ended = await handle.result();
    expect(ended).toMatchObject({ outcome: 'tms', sanggah: null });

    expect(await inbox()).toEqual([]);
    const task = await db.selectFrom('tasks').select('status').where('task_id', '=', ghost.taskId).executeTakeFirst();
    expect(task).toEqual({ status: 'cancelled' });
    expect(await db.selectFrom('sanggah').selectAll().where('registration_no', '=', registrationNo).execute()).toEqual(
      [],
    );
    const actions = (
      await db
        .selectFrom('audit_log')
        .select('action')
        .where('chain', '=', roundChain(config.roundId))
        .where('subject', '=', registrationNo)
        .orderBy('seq')
        .execute()
    ).map((a) => a.action);
    expect(actions.slice(-3)).toEqual(['task.cancelled', 'sanggah.voided', 'candidate.ended']);
    expect(await verifyChain(db, roundChain(config.roundId))).toMatchObject({ ok: true });
    // The status read from PostgreSQL says what the workflow says: no appeal, the verifier.
    expect(comparableStatus(await candidateStatus(deps, registrationNo))).toEqual(comparableStatus(ended));

    // The reviewer who opens the cancelled task is told it is over (409), with or without a key.
    for (const key of [undefined, `ghost-${registrationNo}-answer`]) {
      const late = await app.inject({
        method: 'POST',
        url: `/tasks/${encodeURIComponent(ghost.taskId)}/decision`,
        headers: { ...rh, ...(key ? { 'idempotency-key': key } : {}) },
        payload: { accepted: false, answer: 'Dokumen tetap tidak memenuhi syarat.' },
      });
      expect([late.statusCode, late.json().error.code], late.body).toEqual([409, 'TASK_FINISHED']);
      expect(late.json().error.message).toMatch(/sudah selesai/);
    }
  });
});
