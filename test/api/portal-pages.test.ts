import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness';
import { openRound, registerCandidate } from '../helpers/candidates';
import { testApp } from '../helpers/api';
import { uniqueTaskQueue } from '../helpers/temporal';

let h: Harness;
let app: FastifyInstance;
const roundId = `portal-pages-${Date.now()}`;

beforeAll(async () => {
  h = await startHarness(uniqueTaskQueue('portal-pages'));
  app = await testApp(h.env, h.db, uniqueTaskQueue('portal-pages-api'), { max: 1000, timeWindow: 60_000 });
  await openRound(h.db, Date.now(), roundId, {
    formations: [
      {
        formationId: 'DINKES-PERAWAT',
        unit: 'Dinas Kesehatan <b>Medan</b>',
        jabatan: 'Perawat Ahli Pertama',
        educationLevel: 'S1',
        educationPrograms: ['Keperawatan', 'Ners'],
        quota: 2,
        category: 'umum',
        extraDocuments: ['str'],
        skbMax: 500,
        scoring: { skdWeight: 30, skbWeight: 50, criteria: [{ kind: 'experience', weight: 20, maxYears: 5 }] },
      },
    ],
  });
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

describe('public portal pages (no token)', () => {
  it('/ redirects to the portal; the portal lists the open round and its formation', async () => {
    const root = await app.inject({ url: '/' });
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/portal/');
    const res = await app.inject({ url: '/portal/' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.body).toContain('<html lang="id">');
    expect(res.body).toContain('BKPSDM Kota Medan');
    expect(res.body).toContain('href="#isi"');
    expect(res.body).toContain(`/portal/seleksi/${roundId}/formasi/DINKES-PERAWAT`);
  });

  it('the formation page shows every requirement, escaped', async () => {
    const res = await app.inject({ url: `/portal/seleksi/${roundId}/formasi/DINKES-PERAWAT` });
    expect(res.statusCode, res.body).toBe(200);
    const b = res.body;
    for (const text of [
      'Perawat Ahli Pertama',
      'Keperawatan',
      'Ners',
      '2 orang',
      'S1',
      '18–35 tahun',
      'STR',
      'PDF',
      '800 KB',
      'JPG/JPEG',
      '200 KB',
      'TWK paling rendah 65',
      'TIU paling rendah 80',
      'TKP paling rendah 166',
      '30%',
      '50%',
      'Pengalaman kerja',
      '20%',
    ])
      expect(b, text).toContain(text);
    expect(b).toContain('Dinas Kesehatan &lt;b&gt;Medan&lt;/b&gt;');
    expect(b).not.toContain('<b>Medan</b>');
  });

  it('the round page lists formations, the schedule in WIB and links the report', async () => {
    const res = await app.inject({ url: `/portal/seleksi/${roundId}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('WIB');
    expect(res.body).toContain(`/rounds/${roundId}/report`);
    expect(res.body).toContain('Pendaftaran ditutup');
  });

  it('errors are Indonesian HTML pages, not JSON: unknown round, unknown formation, unknown page, malformed id', async () => {
    for (const url of [
      '/portal/seleksi/tidak-ada',
      `/portal/seleksi/${roundId}/formasi/NOPE`,
      '/portal/tidak-ada-halaman',
      `/portal/seleksi/${'x'.repeat(80)}`,
      '/portal/seleksi/%3Cscript%3E',
    ]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.body, url).toContain('<html lang="id">');
      expect(res.body, url).not.toContain('<script>');
    }
  });

  it('the stylesheet is served with caching headers; versioned URLs are immutable', async () => {
    const page = await app.inject({ url: '/portal/' });
    const href = /href="(\/portal\/static\/style\.css\?v=[0-9a-f]+)"/.exec(page.body)?.[1];
    expect(href).toBeTruthy();
    const css = await app.inject({ url: href! });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.headers['cache-control']).toContain('immutable');
    expect(css.headers['cache-control']).toContain('max-age=31536000');
    expect(css.headers.etag).toBeTruthy();
    const plain = await app.inject({ url: '/portal/static/style.css' });
    expect(plain.headers['cache-control']).toBe('public, max-age=300');
    expect((await app.inject({ url: '/portal/static/..%2Fplugin.ts' })).statusCode).toBe(404);
  });

  it("the consultation page: criteria per formation, a comment on a criterion and on a formation shown under each, HR's response once adopted", async () => {
    const cid = `portal-cons-${Date.now()}`;
    await openRound(h.db, Date.now(), cid, {
      formations: [
        {
          formationId: 'DINKES-PERAWAT',
          unit: 'Dinas Kesehatan',
          jabatan: 'Perawat Ahli Pertama',
          educationLevel: 'S1',
          educationPrograms: ['Keperawatan'],
          quota: 2,
          category: 'umum',
          skbMax: 500,
          scoring: { skdWeight: 30, skbWeight: 50, criteria: [{ kind: 'interview', weight: 20, max: 100 }] },
        },
        {
          formationId: 'DISDIKBUD-GURU',
          unit: 'Disdikbud',
          jabatan: 'Guru Ahli Pertama',
          educationLevel: 'S1',
          educationPrograms: ['Pendidikan Matematika'],
          quota: 1,
          category: 'umum',
          skbMax: 500,
        },
      ],
    });
    await h.db.updateTable('rounds').set({ phase: 'consultation' }).where('round_id', '=', cid).execute();
    const url = `/portal/seleksi/${cid}/konsultasi`;
    const cookies = new Map<string, string>();
    const jar = <T extends { cookies: { name: string; value: string }[] }>(res: T): T => {
      for (const c of res.cookies) cookies.set(c.name, c.value);
      return res;
    };
    const cookie = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const post = async (fields: Record<string, string>, from = url) => {
      const page = jar(await app.inject({ url: from, headers: { cookie: cookie() } }));
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      return app.inject({
        method: 'POST',
        url,
        headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
      });
    };
    const page = await app.inject({ url });
    expect(page.statusCode, page.body).toBe(200);
    expect(page.body).toContain('Wawancara (bobot 20%)');
    expect(page.body).toContain('value="c:DINKES-PERAWAT:interview"');
    expect(page.body).toContain('Kirim tanggapan');

    const onCriterion = await post({
      target: 'c:DINKES-PERAWAT:interview',
      author: 'Rina <i>S</i>',
      body: 'Wawancara\r\nsebaiknya direkam agar dapat diperiksa.',
    });
    expect(onCriterion.statusCode, onCriterion.body).toBe(303);
    expect(onCriterion.headers.location).toContain('info=komentar-terkirim');
    const onFormation = await post({
      target: 'f:DISDIKBUD-GURU',
      author: 'Budi',
      body: 'Kuota guru matematika terlalu sedikit untuk Medan.',
    });
    expect(onFormation.statusCode).toBe(303);
    const comments = (await app.inject({ url: `/rounds/${cid}/comments` })).json().items as {
      author: string;
      formationId?: string;
      criterion?: string;
      body: string;
    }[];
    expect(comments.map((c) => [c.author, c.formationId, c.criterion])).toEqual([
      ['Rina <i>S</i>', 'DINKES-PERAWAT', 'interview'],
      ['Budi', 'DISDIKBUD-GURU', undefined],
    ]);
    expect(comments[0]!.body).toBe('Wawancara\nsebaiknya direkam agar dapat diperiksa.');

    const after = (await app.inject({ url })).body;
    expect(after).toContain('Rina &lt;i&gt;S&lt;/i&gt;');
    // Each comment is shown under what it is about.
    const guru = after.slice(after.indexOf('id="k-DISDIKBUD-GURU"'));
    const perawat = after.slice(after.indexOf('id="k-DINKES-PERAWAT"'), after.indexOf('id="k-DISDIKBUD-GURU"'));
    expect(perawat).toContain('sebaiknya direkam');
    expect(perawat).not.toContain('Kuota guru');
    expect(guru).toContain('Kuota guru');

    // The same text again: refused by the service's duplicate check, shown on the form; an unknown target: refused.
    const dup = await post({
      target: 'f:DISDIKBUD-GURU',
      author: 'Budi',
      body: 'Kuota guru matematika terlalu sedikit untuk Medan.',
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.body).toContain('Komentar yang sama');
    const bad = await post({
      target: 'c:DISDIKBUD-GURU:interview',
      author: 'Budi',
      body: 'Kriteria yang tidak ada pada formasi ini.',
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('tidak memakai kriteria');
    const ctrl = await post({ target: '', author: 'Budi\u0007', body: 'pendek' });
    expect(ctrl.statusCode).toBe(422);
    expect(ctrl.body).toContain('Tanggapan 10–2.000 karakter');
    expect((await app.inject({ url: `/rounds/${cid}/comments` })).json().total).toBe(2);
    // The JSON API takes the same targets.
    const apiOk = await app.inject({
      method: 'POST',
      url: `/rounds/${cid}/comments`,
      payload: {
        author: 'Skrip',
        body: 'Bobot wawancara sebaiknya 15 persen.',
        formationId: 'DINKES-PERAWAT',
        criterion: 'interview',
      },
    });
    expect(apiOk.statusCode, apiOk.body).toBe(201);
    const apiBad = await app.inject({
      method: 'POST',
      url: `/rounds/${cid}/comments`,
      payload: { author: 'Skrip', body: 'Kriteria tanpa formasi tidak jelas.', criterion: 'interview' },
    });
    expect(apiBad.statusCode).toBe(422);
    expect(apiBad.json().error.code).toBe('COMMENT_TARGET_INVALID');
    const apiUnknown = await app.inject({
      method: 'POST',
      url: `/rounds/${cid}/comments`,
      payload: { author: 'Skrip', body: 'Formasi yang tidak ada pada seleksi.', formationId: 'TIDAK-ADA' },
    });
    expect(apiUnknown.statusCode).toBe(422);
    expect((await app.inject({ url: `/rounds/${cid}/comments` })).json().total).toBe(3);

    // After adoption: HR's response is shown, the form is gone.
    await h.db
      .insertInto('criteria_versions')
      .values({
        round_id: cid,
        version: 2,
        status: 'adopted',
        formations: JSON.stringify([]),
        response: 'Wawancara akan direkam dan rekamannya disimpan.',
        actor: 'hr.test',
        created_at: new Date(),
      })
      .execute();
    await h.db.updateTable('rounds').set({ phase: 'registration' }).where('round_id', '=', cid).execute();
    const closed = (await app.inject({ url })).body;
    expect(closed).toContain('Tanggapan BKPSDM atas masukan masyarakat');
    expect(closed).toContain('Wawancara akan direkam');
    expect(closed).not.toContain('name="body"');
    const late = await post(
      { target: '', author: 'Budi', body: 'Terlambat mengirim tanggapan ini.' },
      '/portal/akun/masuk',
    );
    expect(late.statusCode).toBe(409);
  });

  it('announcements: a page per phase once the round has reached it, NIK masked, name escaped; before that a 404 page', async () => {
    const aid = `portal-ann-${Date.now()}`;
    await openRound(h.db, Date.now(), aid);
    const before = await app.inject({ url: `/portal/seleksi/${aid}/pengumuman/administrasi` });
    expect(before.statusCode).toBe(404);
    expect(before.headers['content-type']).toMatch(/^text\/html/);
    const { registrationNo } = await registerCandidate(h.deps, aid, { fullName: 'Siti <Nurhaliza>' });
    const app_ = await h.db
      .selectFrom('applications')
      .select('nik')
      .where('registration_no', '=', registrationNo)
      .executeTakeFirstOrThrow();
    await h.db
      .insertInto('verifications')
      .values({
        registration_no: registrationNo,
        stage: 'administrasi',
        result: 'MS',
        reviewer: 'rev.test',
        decisions: JSON.stringify([]),
        decided_at: new Date(),
      })
      .execute();
    await h.db.updateTable('rounds').set({ phase: 'announcement' }).where('round_id', '=', aid).execute();
    const round = await app.inject({ url: `/portal/seleksi/${aid}` });
    expect(round.body).toContain(`/portal/seleksi/${aid}/pengumuman/administrasi`);
    expect(round.body).not.toContain(`/pengumuman/final`);
    const res = await app.inject({ url: `/portal/seleksi/${aid}/pengumuman/administrasi` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('Pengumuman Hasil Seleksi Administrasi');
    expect(res.body).toContain(registrationNo);
    expect(res.body).toContain('Siti &lt;Nurhaliza&gt;');
    expect(res.body).toContain('Memenuhi Syarat');
    expect(res.body).toContain(`${app_.nik.slice(0, 4)}********${app_.nik.slice(12)}`);
    expect(res.body).not.toContain(app_.nik);
    expect(res.body).toContain(`/rounds/${aid}/announcements/administrasi/html`);
    expect((await app.inject({ url: `/portal/seleksi/${aid}/pengumuman/final` })).statusCode).toBe(404);
    expect((await app.inject({ url: `/portal/seleksi/${aid}/pengumuman/bogus` })).statusCode).toBe(404);
  });

  it('page routes are hidden from the OpenAPI document', async () => {
    const doc = (await app.inject({ url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/portal') || p === '/')).toEqual([]);
  });
});
