import { existsSync, statSync } from 'node:fs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/connection';
import { testApp } from '../helpers/api';
import {
  axeViolations,
  expectNoAxeViolations,
  screenshot,
  startBrowser,
  type BrowserSession,
} from '../helpers/browser';
import { testDb, timeSkippingEnv, uniqueTaskQueue } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let db: Db;
let app: FastifyInstance;
let base: string;
let browser: BrowserSession;

beforeAll(async () => {
  env = await timeSkippingEnv();
  db = testDb();
  app = await testApp(env, db, uniqueTaskQueue('browser'));
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await startBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await env?.teardown();
  await db?.destroy();
});

describe('browser harness: playwright-core + Debian chromium + axe-core against the real app', () => {
  it('loads the API docs page of the real app, runs axe on it and writes a screenshot', async () => {
    const page = await browser.page();
    const res = await page.goto(`${base}/docs`);
    expect(res?.status()).toBe(200);
    await page.waitForSelector('.swagger-ui .info .title');
    expect(await page.textContent('.swagger-ui .info .title')).toContain('ASN Recruitment API');
    const violations = await axeViolations(page);
    // Reported, not asserted: the OpenAPI page is swagger-ui's markup, not the project's.
    if (violations.length)
      console.log(
        `axe on /docs (swagger-ui, third-party): ${violations.map((v) => `${v.id} ×${v.nodes.length}`).join(', ')}`,
      );
    expect(Array.isArray(violations)).toBe(true);
    const path = await screenshot(page, 'api-docs');
    expect(existsSync(path) && statSync(path).size > 1000).toBe(true);
  });

  it('finds serious and critical violations, and passes a clean page on a 360-px phone', async () => {
    const page = await browser.page({ phone: true });
    // Served by the real app's origin so the same helper runs as on the portal's pages.
    await page.goto(`${base}/healthz`);
    await page.setContent(
      '<!doctype html><html><head><title>x</title></head><body><img src="/nope.png"><button></button></body></html>',
    );
    const bad = await axeViolations(page);
    expect(bad.map((v) => v.id).sort()).toEqual(expect.arrayContaining(['button-name', 'html-has-lang', 'image-alt']));
    await expect(expectNoAxeViolations(page, 'a bad page')).rejects.toThrow(/image-alt.*\n\s+img/);

    await page.setContent(
      '<!doctype html><html lang="id"><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>Beranda</title></head><body><main><h1>Seleksi ASN</h1><p>Kota Medan</p><button type="button">Daftar</button></main></body></html>',
    );
    await expectNoAxeViolations(page, 'a clean page');
    expect(await page.evaluate('document.documentElement.clientWidth')).toBe(360);
  });
});
