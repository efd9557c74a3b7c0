import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { candidateStatusFromDb } from '../../api/services/candidate-read';
import { submitDocuments } from '../../api/services/documents';
import { hashPassword } from '../../db/accounts';
import { setStaffPassword } from '../../db/staff';
import { createUser, type Role } from '../../db/users';
import { openRound, PERAWAT_DOCS, registerCandidate, uploadAll } from '../helpers/candidates';
import { testApp } from '../helpers/api';
import { FormClient } from '../helpers/form-client';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * The staff's candidate timeline (inject): HR and auditors see a registration's stage and each
 * decision with who / when (WIB) / why; a reviewer only with a task of the registration; a
 * supervisor never; an unknown number is a 404 page.
 */
let h: Harness;
let app: FastifyInstance;
const PASSWORD = 'sandi-konsol-riwayat-1';

beforeAll(async () => {
  const taskQueue = uniqueTaskQueue('console-candidate');
  h = await startHarness(taskQueue);
  app = await testApp(h.env, h.db, taskQueue, { max: 10_000, timeWindow: 60_000 });
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

let n = 0;
async function signedIn(role: Role): Promise<FormClient & { username: string }> {
  n += 1;
  const username = `riwayat-${role}-${process.pid}-${n}-${Date.now().toString(36)}`;
  const { user } = await createUser(h.db, { username, displayName: `Petugas ${n}`, role });
  await setStaffPassword(h.db, user.userId, await hashPassword(PASSWORD), { initial: false });
  const b = new FormClient(app, '/portal/konsol/masuk');
  const res = await b.submit('/portal/konsol/masuk', '/portal/konsol/masuk', {
    username,
    password: PASSWORD,
    next: '/portal/konsol',
  });
  expect(res.statusCode, res.body).toBe(303);
  return Object.assign(b, { username });
}
const text = (html: string): string =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ');

describe('the candidate timeline page', () => {
  it('HR and auditors see the stage and each decision (who, WIB, why); reviewers only with a task; supervisors never', async () => {
    const config = await openRound(
      h.db,
      await h.env.currentTimeMs(),
      `riwayat-${process.pid}-${Date.now().toString(36)}`,
    );
    const { registrationNo } = await registerCandidate(h.deps, config.roundId);
    await submitDocuments(h.deps, registrationNo, await uploadAll(h.deps, registrationNo, PERAWAT_DOCS));
    await expect
      .poll(async () => (await candidateStatusFromDb(h.deps, registrationNo)).decisions.length, { timeout: 30_000 })
      .toBeGreaterThan(0);
    const url = `/portal/konsol/pendaftaran/${registrationNo}`;

    const hr = await signedIn('hr');
    const page = await hr.get(url);
    expect(page.statusCode, page.body).toBe(200);
    const t = text(page.body);
    expect(t).toContain(`Riwayat pendaftaran ${registrationNo}`);
    expect(t).toContain('Tahap Unggah dokumen');
    expect(t).toMatch(/\d{1,2} \w+ 2\d{3} pukul \d{2}\.\d{2} WIB unggah dokumen pelamar .*ijazah/);
    expect(t).toContain(config.name);
    expect(page.body).toContain('<th scope="col">Alasan</th>');

    const auditor = await signedIn('auditor');
    expect((await auditor.get(url)).statusCode).toBe(200);

    // A reviewer without a task of this registration: refused; with one: the page.
    const reviewer = await signedIn('reviewer');
    const refused = await reviewer.get(url);
    expect(refused.statusCode).toBe(403);
    expect(text(refused.body)).toContain('Anda tidak berhak atas pendaftaran ini');
    await h.db
      .insertInto('tasks')
      .values({
        task_id: `${registrationNo}:verification:test`,
        round_id: config.roundId,
        registration_no: registrationNo,
        kind: 'verification',
        stage: 'administrasi',
        reviewer: reviewer.username,
        due_at: new Date(Date.now() + 86_400_000),
        status: 'open',
        created_at: new Date(),
      })
      .execute();
    expect((await reviewer.get(url)).statusCode).toBe(200);

    const supervisor = await signedIn('supervisor');
    const no = await supervisor.get(url);
    expect(no.statusCode).toBe(403);
    expect(text(no.body)).toContain('Halaman ini bukan untuk peran Atasan langsung');

    expect((await hr.get('/portal/konsol/pendaftaran/TIDAK-ADA-1')).statusCode).toBe(404);
    expect((await hr.get('/portal/konsol/pendaftaran/ada%20spasi')).statusCode).toBe(404);
    const anon = await app.inject({ method: 'GET', url });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toContain('/portal/konsol/masuk');
  });
});
