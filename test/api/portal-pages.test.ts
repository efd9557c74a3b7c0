import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness';
import { openRound } from '../helpers/candidates';
import { testApp } from '../helpers/api';
import { uniqueTaskQueue } from '../helpers/temporal';

let h: Harness;
let app: FastifyInstance;
const roundId = `portal-pages-${Date.now()}`;

beforeAll(async () => {
  h = await startHarness(uniqueTaskQueue('portal-pages'));
  app = await testApp(h.env, h.db, uniqueTaskQueue('portal-pages-api'));
  await openRound(h.db, Date.now(), roundId, {
    formations: [
      { formationId: 'DINKES-PERAWAT', unit: 'Dinas Kesehatan <b>Medan</b>', jabatan: 'Perawat Ahli Pertama', educationLevel: 'S1', educationPrograms: ['Keperawatan', 'Ners'], quota: 2, category: 'umum', extraDocuments: ['str'], skbMax: 500, scoring: { skdWeight: 30, skbWeight: 50, criteria: [{ kind: 'experience', weight: 20, maxYears: 5 }] } },
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
    for (const text of ['Perawat Ahli Pertama', 'Keperawatan', 'Ners', '2 orang', 'S1', '18–35 tahun', 'STR', 'PDF', '800 KB', 'JPG/JPEG', '200 KB', 'TWK paling rendah 65', 'TIU paling rendah 80', 'TKP paling rendah 166', '30%', '50%', 'Pengalaman kerja', '20%']) expect(b, text).toContain(text);
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
    for (const url of ['/portal/seleksi/tidak-ada', `/portal/seleksi/${roundId}/formasi/NOPE`, '/portal/tidak-ada-halaman', `/portal/seleksi/${'x'.repeat(80)}`, '/portal/seleksi/%3Cscript%3E']) {
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

  it('page routes are hidden from the OpenAPI document', async () => {
    const doc = (await app.inject({ url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/portal') || p === '/')).toEqual([]);
  });
});
