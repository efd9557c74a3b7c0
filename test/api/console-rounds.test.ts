import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../db/accounts';
import { rankFinalInSql } from '../../db/ranking';
import { setStaffPassword } from '../../db/staff';
import { createUser, type Role } from '../../db/users';
import { testApp } from '../helpers/api';
import { FormClient } from '../helpers/form-client';
import { startHarness, type Harness } from '../helpers/harness';
import { formFields, withChanges } from '../helpers/html-form';
import { readPdf } from '../helpers/pdf';
import { syntheticRound } from '../helpers/synthetic';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * HR's round pages on the server (inject): the wizard from the example configuration through its
 * steps (the domain's violations beside the fields of their step, nothing stored before the
 * submit), the round it creates through createRound, the dashboard with the deadline extension,
 * the formations and criteria pages, and the role checks.
 */
let h: Harness;
let app: FastifyInstance;
const PASSWORD = 'sandi-konsol-seleksi-1';
const WIZ = '/portal/konsol/seleksi/baru';

beforeAll(async () => {
  const taskQueue = uniqueTaskQueue('console-rounds');
  h = await startHarness(taskQueue);
  app = await testApp(h.env, h.db, taskQueue, { max: 10_000, timeWindow: 60_000 });
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

let n = 0;
async function signedIn(role: Role): Promise<FormClient> {
  n += 1;
  const username = `seleksi-${role}-${process.pid}-${n}-${Date.now().toString(36)}`;
  const { user } = await createUser(h.db, { username, displayName: `Petugas ${n}`, role });
  await setStaffPassword(h.db, user.userId, await hashPassword(PASSWORD), { initial: false });
  const b = new FormClient(app, '/portal/konsol/masuk');
  const res = await b.submit('/portal/konsol/masuk', '/portal/konsol/masuk', {
    username,
    password: PASSWORD,
    next: '/portal/konsol',
  });
  expect(res.statusCode, res.body).toBe(303);
  return b;
}

/** Posts the wizard's form as rendered in `page`, with `changes` and the button `go`. */
async function step(
  b: FormClient,
  page: LightMyRequestResponse,
  go: string,
  changes: Record<string, string | null> = {},
): Promise<LightMyRequestResponse> {
  const payload = withChanges(formFields(page.body, WIZ), { ...changes, go }).toString();
  return b.take(
    await app.inject({
      method: 'POST',
      url: WIZ,
      headers: { ...b.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload,
    }),
  );
}
/** The round's first activity recorded it (the pages read PostgreSQL from then on). */
async function recorded(roundId: string): Promise<void> {
  await expect
    .poll(
      async () => (await h.db.selectFrom('rounds').select('round_id').where('round_id', '=', roundId).execute()).length,
      { timeout: 30_000, interval: 200 },
    )
    .toBe(1);
}
const text = (html: string): string =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ');

describe('the round wizard', () => {
  it('starts from the example with every default, shows violations per step and field, creates the round', async () => {
    const hr = await signedIn('hr');
    const roundId = `wizard-${process.pid}-${Date.now().toString(36)}`;
    const first = await hr.get(WIZ);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.body).toContain('value="medan-cpns-2026"');
    expect(first.body).toContain('aria-current="step"');

    // Identity with a bad id and year: 422, each message beside its field, still on this step.
    const bad = await step(hr, first, 'next', { roundId: 'ada spasi!', budgetYear: '1999' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="w-roundId-error"');
    expect(bad.body).toContain('aria-invalid="true"');
    expect(text(bad.body)).toContain('Tahun anggaran tidak valid');
    expect(bad.body).toContain('name="step" value="identitas"');
    const formasi = await step(hr, bad, 'next', { roundId, budgetYear: '2026' });
    expect(formasi.statusCode, text(formasi.body).slice(0, 2000)).toBe(200);
    expect(formasi.body).toContain('name="step" value="formasi"');
    expect(formasi.body).toContain('DINKES-PERAWAT-AP');

    // Add a formation, leave it empty: its violations, then fill it in.
    const added = await step(hr, formasi, 'add');
    expect(added.body).toContain('Formasi 5');
    const empty = await step(hr, added, 'next');
    expect(empty.statusCode).toBe(422);
    for (const t of ['Unit kerja wajib diisi', 'Jabatan wajib diisi', 'Sekurang-kurangnya satu program studi'])
      expect(text(empty.body)).toContain(t);
    expect(empty.body).toContain('id="w-formations-4--unit-error"');
    const jadwal = await step(hr, empty, 'next', {
      'formations[4].formationId': 'BAPPEDA-PERENCANA',
      'formations[4].unit': 'Bappeda',
      'formations[4].jabatan': 'Perencana Ahli Pertama',
      'formations[4].educationPrograms': 'Perencanaan Wilayah dan Kota, Ekonomi Pembangunan',
      'formations[4].quota': '3',
    });
    expect(jadwal.statusCode, text(jadwal.body).slice(0, 3000)).toBe(200);
    expect(jadwal.body).toContain('type="datetime-local"');
    expect(jadwal.body).toContain('value="2027-01-11T08:00"');

    // Schedule out of order: the domain's message, in words, beside SKD.
    const order = await step(hr, jadwal, 'next', { 'schedule.skdAt': '2027-03-01T07:30' });
    expect(order.statusCode).toBe(422);
    expect(text(order.body)).toContain('SKD harus sesudah Pengumuman seleksi administrasi');
    expect(order.body).toContain('id="w-schedule-skdAt-error"');
    const penilaian = await step(hr, order, 'next', { 'schedule.skdAt': '2027-03-22T07:30' });
    expect(penilaian.statusCode).toBe(200);
    expect(penilaian.body).toContain('name="step" value="penilaian"');

    // Criteria that do not sum to 100.
    const sum = await step(hr, penilaian, 'next', { 'formations[0].scoring.experience.weight': '15' });
    expect(sum.statusCode).toBe(422);
    expect(text(sum.body)).toContain('Bobot SKD + SKB + kriteria harus berjumlah 100');
    const preview = await step(hr, sum, 'next', { 'formations[0].scoring.experience.weight': '10' });
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('Semua aturan terpenuhi');
    expect(text(preview.body)).toContain('Perencana Ahli Pertama');
    expect(await h.db.selectFrom('rounds').select('round_id').where('round_id', '=', roundId).execute()).toEqual([]);

    const made = await step(hr, preview, 'submit');
    expect(made.statusCode, text(made.body).slice(0, 2000)).toBe(303);
    expect(made.headers.location).toBe(`/portal/konsol/seleksi/${roundId}?info=seleksi-dibuat`);
    await recorded(roundId);
    const dash = await hr.get(made.headers.location as string);
    expect(dash.statusCode, dash.body).toBe(200);
    expect(text(dash.body)).toContain('Seleksi CPNS Pemerintah Kota Medan');
    expect(dash.body).toContain('Seleksi dibuat');

    // The same id again: refused on the identity step, nothing replaced.
    const again = await step(hr, preview, 'submit');
    expect(again.statusCode).toBe(409);
    expect(text(again.body)).toContain('sudah dipakai');

    const formations = await hr.get(`/portal/konsol/seleksi/${roundId}/formasi`);
    expect(formations.statusCode).toBe(200);
    expect(text(formations.body)).toContain('5 formasi, kuota seluruhnya 39 orang');
    const criteria = await hr.get(`/portal/konsol/seleksi/${roundId}/kriteria`);
    expect(criteria.statusCode).toBe(200);
    expect(text(criteria.body)).toContain('Versi 1');
    expect(text(criteria.body)).toContain('Pengalaman kerja di fasilitas kesehatan (10%)');
  }, 120_000);

  it('a broken draft is a 400 page, not a 500; the wizard is for HR only', async () => {
    const hr = await signedIn('hr');
    const page = await hr.get(WIZ);
    const broken = await step(hr, page, 'next', { draft: '{"formations": 1' });
    expect(broken.statusCode).toBe(400);
    expect(text(broken.body)).toContain('Isian wizard rusak');
    for (const role of ['reviewer', 'auditor', 'supervisor'] as const) {
      const b = await signedIn(role);
      expect((await b.get(WIZ)).statusCode).toBe(403);
    }
    const reviewer = await signedIn('reviewer');
    expect((await reviewer.get('/portal/konsol/seleksi')).statusCode).toBe(403);
    const auditor = await signedIn('auditor');
    const list = await auditor.get('/portal/konsol/seleksi');
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain('Buat seleksi baru');
    const anon = await app.inject({ url: WIZ });
    expect(anon.statusCode).toBe(303);
  });
});

describe("the round's dashboard", () => {
  it('extends a deadline through the service (reason and time checked first); auditors see it without the form', async () => {
    const hr = await signedIn('hr');
    const roundId = `dash-${process.pid}-${Date.now().toString(36)}`;
    const first = await hr.get(WIZ);
    let page = await step(hr, first, 'goto:pratinjau', { roundId });
    expect(page.statusCode).toBe(200);
    page = await step(hr, page, 'submit');
    expect(page.statusCode, text(page.body).slice(0, 1500)).toBe(303);
    const url = `/portal/konsol/seleksi/${roundId}`;
    await recorded(roundId);
    const bad = await hr.submit(url, `${url}/tenggat`, { key: 'registrationCloses', to: 'besok', reason: 'x' });
    expect(bad.statusCode).toBe(422);
    expect(text(bad.body)).toContain('Isi tanggal dan jam baru (WIB)');
    expect(text(bad.body)).toContain('paling sedikit 10 karakter');
    const earlier = await hr.submit(url, `${url}/tenggat`, {
      key: 'registrationCloses',
      to: '2027-02-10T23:59',
      reason: 'Uji memajukan tenggat pendaftaran',
    });
    expect(earlier.statusCode).toBe(422);
    expect(text(earlier.body)).toContain('Perpanjangan ditolak');
    const ok = await hr.submit(url, `${url}/tenggat`, {
      key: 'registrationCloses',
      to: '2027-02-24T23:59',
      reason: 'Gangguan jaringan di beberapa kecamatan',
    });
    expect(ok.statusCode, text(ok.body).slice(0, 1500)).toBe(303);
    const dash = await hr.get(`${url}?info=tenggat-diperpanjang`);
    expect(text(dash.body)).toContain('Gangguan jaringan di beberapa kecamatan');
    expect(text(dash.body)).toContain('24 Februari 2027');
    const auditor = await signedIn('auditor');
    const seen = await auditor.get(url);
    expect(seen.statusCode).toBe(200);
    expect(seen.body).not.toContain(`action="${url}/tenggat"`);
    expect(
      (
        await auditor.submit(url, `${url}/tenggat`, {
          key: 'skdAt',
          to: '2027-03-29T07:30',
          reason: 'bukan hak auditor',
        })
      ).statusCode,
    ).toBe(403);
    expect((await hr.get('/portal/konsol/seleksi/tidak-ada-seleksinya')).statusCode).toBe(404);
  }, 120_000);
});

describe('rankings, announcements with the letterhead (HTML and PDF), the pipeline board', () => {
  const roundId = `hasil-${process.pid}-${Date.now().toString(36)}`;
  const seed = 600 + (process.pid % 300);
  let regNos: string[] = [];
  beforeAll(async () => {
    const { candidates } = await syntheticRound(h.db, roundId, 3, 30, seed);
    regNos = candidates.map((c) => c.registrationNo);
    await rankFinalInSql(h.db, roundId);
    // SKD results of 21 candidates (the first 7 of each formation: i % 3 is the formation), 18 passed.
    await h.db
      .insertInto('skd_scores')
      .values(
        candidates.slice(0, 21).map((c, i) => ({
          registration_no: c.registrationNo,
          twk: c.twk,
          tiu: c.tiu,
          tkp: c.tkp,
          total: c.twk + c.tiu + c.tkp,
          passed: i < 18,
          passing_group: 'umum',
          recorded_at: new Date().toISOString(),
        })),
      )
      .execute();
  });

  it('the final ranking lists every row with its breakdown, paged; reviewers are refused', async () => {
    const hr = await signedIn('hr');
    const res = await hr.get(`/portal/konsol/seleksi/${roundId}/peringkat/final`);
    expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
    const t = text(res.body);
    expect(t).toContain('30 baris');
    expect(t).toContain('Jabatan 0 — Unit 0');
    expect(res.body).toContain(regNos[0]);
    expect((await hr.get(`/portal/konsol/seleksi/${roundId}/peringkat/lain`)).statusCode).toBe(404);
    const reviewer = await signedIn('reviewer');
    expect((await reviewer.get(`/portal/konsol/seleksi/${roundId}/peringkat/final`)).statusCode).toBe(403);
  });

  it('an announcement needs its letterhead; HTML and PDF carry it, NIKs masked, formations by jabatan', async () => {
    const auditor = await signedIn('auditor');
    const form = await auditor.get(`/portal/konsol/seleksi/${roundId}/pengumuman`);
    expect(form.statusCode).toBe(200);
    const missing = await auditor.get(`/portal/konsol/seleksi/${roundId}/pengumuman/final?nomor=`);
    expect(missing.statusCode).toBe(422);
    expect(text(missing.body)).toContain('Isi nomor pengumuman');
    const q = new URLSearchParams({
      nomor: '800/77/BKPSDM/2027',
      tanggal: '2027-05-20',
      tempat: 'Medan',
      penandatangan: 'Drs. Contoh Pejabat',
      nip: '197001012000031001',
      jabatan: 'Kepala BKPSDM Kota Medan',
    }).toString();
    const html = await auditor.get(`/portal/konsol/seleksi/${roundId}/pengumuman/final?${q}`);
    expect(html.statusCode).toBe(200);
    const t = text(html.body);
    for (const s of [
      'Nomor: 800/77/BKPSDM/2027',
      'Medan, 20 Mei 2027',
      'Drs. Contoh Pejabat',
      'NIP 197001012000031001',
    ])
      expect(t).toContain(s);
    expect(t).toContain('Formasi: Jabatan 0 — Unit 0');
    expect(html.body).not.toContain(`N${regNos[0]}`);
    const pdf = await auditor.get(`/portal/konsol/seleksi/${roundId}/pengumuman/final/pdf?${q}`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['cache-control']).toBe('no-store');
    const read = await readPdf(pdf.rawPayload);
    const pt = read.text.replace(/\s+/g, ' ');
    for (const s of ['PENGUMUMAN HASIL AKHIR SELEKSI', 'Nomor: 800/77/BKPSDM/2027', 'Drs. Contoh Pejabat', regNos[5]!])
      expect(pt).toContain(s);
    expect(pt).not.toContain(`N${regNos[5]}`);
    expect((await auditor.get(`/portal/konsol/seleksi/${roundId}/pengumuman/final/pdf?nomor=x`)).statusCode).toBe(422);
    const supervisor = await signedIn('supervisor');
    expect((await supervisor.get(`/portal/konsol/seleksi/${roundId}/pengumuman/final?${q}`)).statusCode).toBe(403);
  });

  it('the board counts each stage overall and per formation, with the chart script and the tables', async () => {
    const hr = await signedIn('hr');
    const res = await hr.get(`/portal/konsol/seleksi/${roundId}/alur`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<script src="\/portal\/konsol\/vendor\/chart\.umd\.min\.js\?v=[0-9a-f]{12}" defer>/);
    expect(res.body).toContain('id="t-funnel"');
    // 30 registered (10 per formation), 18 passed the SKD (6 per formation).
    expect(res.body).toMatch(/Mendaftar<\/th><td data-value="30">/);
    expect(res.body).toMatch(/Lulus ambang batas SKD<\/th><td data-value="18">/);
    expect(res.body).toMatch(
      /F0001, [^<]*<\/span><\/th><td data-value="2">2<\/td><td data-value="10">10<\/td><td data-value="0">0<\/td><td data-value="6">6<\/td>/,
    );
    const js = await app.inject({
      url: res.body.match(/\/portal\/konsol\/vendor\/chart\.umd\.min\.js\?v=[0-9a-f]{12}/)![0],
    });
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toContain('immutable');
    expect(js.body).toContain('Chart');
    expect((await (await signedIn('reviewer')).get(`/portal/konsol/seleksi/${roundId}/alur`)).statusCode).toBe(403);
  });
});
