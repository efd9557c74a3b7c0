import { spawn } from 'node:child_process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { anchoredCheckpoints, verifyAll, verifyAnchoredChain } from '../../api/services/audit';
import { announcement, announcementHtml } from '../../api/services/announcements';
import { reportHtml, roundReport } from '../../api/services/report';
import type { ServiceDeps } from '../../api/services/deps';
import { careerChain } from '../../contracts';
import { roundChain } from '../../contracts';
import { type AuditCheckpoint, generateSigningKey, loadAuditSigningKeys } from '../../config/audit-signing';
import { auditHash, GENESIS, verifyChain } from '../../db/audit';
import type { Db } from '../../db/connection';
import { withDefaults } from '../../domain';
import type { recruitmentRound } from '../../workflows/round';
import { recordHealthUpdate, recordLatsarUpdate } from '../../contracts';
import { roundWorkflowId } from '../../contracts';
import { sampleRound } from '../fixtures';
import { testApp, testUsers } from '../helpers/api';
import { careerInput, careerWorkflowIdOf, nextJanuary, startCareer } from '../helpers/career';
import { startHarness, type Harness } from '../helpers/harness';
import { testWorker, uniqueTaskQueue } from '../helpers/temporal';

let h: Harness;
let env: TestWorkflowEnvironment;
let db: Db;
let deps: ServiceDeps;
let app: FastifyInstance;
let auditor: { authorization: string };
let impostor: Worker;
let impostorRunning: Promise<void>;
const taskQueue = uniqueTaskQueue('audit-anchor');
const impostorQueue = uniqueTaskQueue('audit-impostor');
const stamp = Date.now().toString(36);
const ROUNDS = {
  untouched: `aa-ok-${stamp}`,
  edited: `aa-ed-${stamp}`,
  cut: `aa-cut-${stamp}`,
  recomputed: `aa-rc-${stamp}`,
  forged: `aa-fg-${stamp}`,
};

/** A whole round (no candidates) run to its close on the time-skipping server: it anchors at every phase and at the end. */
async function runRound(roundId: string, queue = taskQueue): Promise<void> {
  const config = withDefaults(sampleRound(roundId, {}, await env.currentTimeMs()));
  const handle = await env.client.workflow.start<typeof recruitmentRound>('recruitmentRound', {
    taskQueue: queue,
    workflowId: roundWorkflowId(roundId),
    args: [{ config, createdBy: 'hr.test' }],
  });
  await handle.result();
}

const rowsOf = (chain: string) =>
  db.selectFrom('audit_log').selectAll().where('chain', '=', chain).orderBy('seq').execute();

/** What an attacker with database access does to hide an edit: rewrites a row and recomputes every hash after it. */
async function editAndRecompute(chain: string, seq: number): Promise<void> {
  await sql`update audit_log set reason = 'diubah diam-diam' where chain = ${chain} and seq = ${seq}`.execute(db);
  const rows = await rowsOf(chain);
  let prev = rows.find((r) => r.seq === seq - 1)?.hash ?? GENESIS;
  for (const r of rows.filter((x) => x.seq >= seq)) {
    const hash = auditHash(prev, {
      chain: r.chain,
      seq: r.seq,
      idempotencyKey: r.idempotency_key,
      actor: r.actor,
      action: r.action,
      subject: r.subject,
      reason: r.reason,
      payload: r.payload,
      occurredAt: new Date(r.occurred_at).toISOString(),
    });
    await db.updateTable('audit_log').set({ prev_hash: prev, hash }).where('id', '=', r.id).execute();
    prev = hash;
  }
}

beforeAll(async () => {
  h = await startHarness(taskQueue);
  ({ env, db, deps } = h);
  // A worker whose anchoring activity signs with a key of its own under the configured key id:
  // what a forged checkpoint (or an impostor worker) puts into a history.
  const configured = loadAuditSigningKeys();
  impostor = await testWorker(
    env,
    { db, auditSigningKeys: { active: configured.active, keys: { [configured.active]: generateSigningKey() } } },
    impostorQueue,
  );
  impostorRunning = impostor.run();
  // One at a time: the time-skipping server then only ever skips one round's timers.
  for (const id of [ROUNDS.untouched, ROUNDS.edited, ROUNDS.cut, ROUNDS.recomputed]) await runRound(id);
  await runRound(ROUNDS.forged, impostorQueue);
  app = await testApp(env, db, taskQueue);
  auditor = (await testUsers(db)).auditor.headers;
}, 240_000);
afterAll(async () => {
  await app?.close();
  impostor?.shutdown();
  await impostorRunning;
  await h?.stop();
});

describe('signed heads of the audit chains, recorded in the workflow histories', () => {
  it('the round anchors its chain at every phase change and at its close; an untouched chain verifies ok (service, API, CLI)', async () => {
    const chain = roundChain(ROUNDS.untouched);
    const { found, checkpoints } = await anchoredCheckpoints(deps, roundWorkflowId(ROUNDS.untouched));
    expect(found).toBe(true);
    // 9 phase changes + the close.
    expect(checkpoints).toHaveLength(10);
    const rows = await rowsOf(chain);
    const last = checkpoints.at(-1) as AuditCheckpoint;
    expect(last).toMatchObject({
      chain,
      seq: rows.at(-1)!.seq,
      hash: rows.at(-1)!.hash,
      rows: rows.length,
      keyId: 'audit-test-2',
    });
    // The listing table holds the same heads (a retried activity may have left an extra one).
    const listed = await db.selectFrom('audit_checkpoints').select('signature').where('chain', '=', chain).execute();
    expect(listed.map((r) => r.signature)).toEqual(
      expect.arrayContaining(checkpoints.map((c) => (c as AuditCheckpoint).signature)),
    );

    const v = await verifyAll(deps, ROUNDS.untouched);
    expect(v.allOk).toBe(true);
    expect(v.round).toMatchObject({
      chain,
      ok: true,
      rows: rows.length,
      problems: [],
      anchor: {
        status: 'intact',
        checkpoints: 10,
        rowsAfterHead: 0,
        source: roundWorkflowId(ROUNDS.untouched),
        head: last,
      },
    });

    const res = await app.inject({ method: 'GET', url: `/rounds/${ROUNDS.untouched}/audit/verify`, headers: auditor });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      chain,
      rows: rows.length,
      ok: true,
      allOk: true,
      careers: [],
      problems: [],
      anchor: { status: 'intact', head: { seq: last.seq, hash: last.hash, signature: last.signature } },
    });
    const missing = await app.inject({
      method: 'GET',
      url: '/rounds/tidak-ada-sama-sekali/audit/verify',
      headers: auditor,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });

    const keys = await app.inject({ method: 'GET', url: '/audit/keys' });
    expect(keys.statusCode).toBe(200);
    expect(keys.json()).toMatchObject({
      active: 'audit-test-2',
      keys: expect.arrayContaining([
        expect.objectContaining({ keyId: 'audit-test-1', algorithm: 'Ed25519' }),
        expect.objectContaining({ keyId: 'audit-test-2' }),
      ]),
    });
  });

  it('announcements and the report print the latest anchored head ("Jejak audit")', async () => {
    const last = (await anchoredCheckpoints(deps, roundWorkflowId(ROUNDS.untouched))).checkpoints.at(
      -1,
    ) as AuditCheckpoint;
    const ann = await announcement(deps, ROUNDS.untouched, 'final');
    expect(ann.auditHead).toEqual({ head: last, signatureValid: true, source: 'history' });
    for (const page of [announcementHtml(ann), reportHtml(await roundReport(deps, ROUNDS.untouched))]) {
      expect(page).toContain('Jejak audit');
      for (const v of [last.chain, String(last.seq), last.hash, last.signedAt, last.keyId, last.signature])
        expect(page).toContain(v);
    }
    const html = await app.inject({ method: 'GET', url: `/rounds/${ROUNDS.untouched}/announcements/final/html` });
    expect(html.statusCode).toBe(200);
    expect(html.body).toContain(last.signature);
  });

  it('attack 1 — a row edited without recomputing: edited_row at that row', async () => {
    const chain = roundChain(ROUNDS.edited);
    await sql`update audit_log set reason = 'diubah diam-diam' where chain = ${chain} and seq = 3`.execute(db);
    const v = (await verifyAll(deps, ROUNDS.edited)).round;
    expect(v.ok).toBe(false);
    expect(v.firstBroken).toMatchObject({ seq: 3, problem: 'edited_row' });
    // The stored hashes were left alone, so they still agree with the signed head.
    expect(v.anchor?.status).toBe('intact');
  });

  it('attack 2 — the newest rows deleted: passes hash-only verification, caught as rows_deleted_after_head', async () => {
    const chain = roundChain(ROUNDS.cut);
    const before = await rowsOf(chain);
    await db
      .deleteFrom('audit_log')
      .where('chain', '=', chain)
      .where('seq', '>', before.length - 3)
      .execute();
    // What `audit verify` checked before anchoring (the hashes alone) finds nothing wrong.
    expect(await verifyChain(db, chain)).toMatchObject({ ok: true, rows: before.length - 3 });
    const v = (await verifyAll(deps, ROUNDS.cut)).round;
    expect(v.ok).toBe(false);
    expect(v.anchor?.status).toBe('rows_deleted_after_head');
    expect(v.firstBroken).toMatchObject({ seq: before.length - 2, problem: 'rows_deleted_after_head' });
    expect(v.problems.map((p) => p.problem)).toEqual(['rows_deleted_after_head']);
    expect(v.problems[0]!.message).toMatch(/3 baris terakhir dihapus/);
  });

  it('attack 3 — a row edited and every later hash recomputed: passes hash-only verification, caught as chain_recomputed (API and CLI too)', async () => {
    const chain = roundChain(ROUNDS.recomputed);
    const before = await rowsOf(chain);
    await editAndRecompute(chain, 3);
    expect(await verifyChain(db, chain)).toMatchObject({ ok: true, rows: before.length });
    const v = (await verifyAll(deps, ROUNDS.recomputed)).round;
    expect(v.ok).toBe(false);
    expect(v.anchor?.status).toBe('chain_recomputed');
    // The earliest signed head that no longer matches is the one anchored after row 3 was written.
    expect(v.firstBroken?.problem).toBe('chain_recomputed');
    expect(v.problems).toHaveLength(1);
    expect(v.problems[0]!.message).toMatch(/di antara baris \d+ dan \d+/);
    const [from, to] = v.problems[0]!.message.match(/di antara baris (\d+) dan (\d+)/)!
      .slice(1)
      .map(Number) as [number, number];
    expect(from).toBeLessThanOrEqual(3);
    expect(to).toBeGreaterThanOrEqual(3);

    const res = await app.inject({ method: 'GET', url: `/rounds/${ROUNDS.recomputed}/audit/verify`, headers: auditor });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: false, allOk: false, anchor: { status: 'chain_recomputed' } });
  });

  it('a forged signature in the history is reported as invalid_signature', async () => {
    const v = (await verifyAll(deps, ROUNDS.forged)).round;
    expect(v.ok).toBe(false);
    expect(v.anchor?.status).toBe('invalid_signature');
    expect(v.problems.length).toBe(10);
    expect(new Set(v.problems.map((p) => p.problem))).toEqual(new Set(['invalid_signature']));
    // Signatures count only under the configured public keys: without them, even an honest history does not verify.
    const honest = await verifyAnchoredChain(deps, roundChain(ROUNDS.untouched), roundWorkflowId(ROUNDS.untouched), []);
    expect(honest).toMatchObject({ ok: false, anchor: { status: 'invalid_signature' } });
  });

  it('the CLI: ok and exit 0 for an untouched round; rows_deleted_after_head and exit 1; an unknown round is an error', async () => {
    const run = async (args: string[]): Promise<{ code: number | null; out: string; err: string }> => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/asn.ts', ...args], {
        cwd: process.cwd(),
        env: { ...process.env, DATABASE_URL: inject('databaseUrl'), TEMPORAL_ADDRESS: env.address },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      return { code, out, err };
    };
    const [ok, broken, unknown] = await Promise.all([
      run(['audit', 'verify', ROUNDS.untouched]),
      run(['audit', 'verify', ROUNDS.cut]),
      run(['audit', 'verify', 'tidak-ada-sama-sekali']),
    ]);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ allOk: true, round: { ok: true, anchor: { status: 'intact' } } });
    expect(broken.code, broken.err).toBe(1);
    expect(JSON.parse(broken.out)).toMatchObject({
      allOk: false,
      round: { anchor: { status: 'rows_deleted_after_head' } },
    });
    expect(broken.err).toContain('rows_deleted_after_head');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/NOT_FOUND/);
  }, 120_000);

  it('a career anchors its chain at the probation decision; the head is found across continueAsNew and a cut is caught', async () => {
    // Born 25 years before the test server's clock (which the rounds above moved on): far from retirement.
    const tmt = await nextJanuary(env);
    const input = careerInput({ birthDate: `${Number(tmt.slice(0, 4)) - 25}-03-14` }, tmt);
    const handle = await startCareer(env, taskQueue, input);
    await handle.executeUpdate(recordLatsarUpdate, { args: [{ actor: 'hr', passed: true }] });
    const recorded = await handle.executeUpdate(recordHealthUpdate, { args: [{ actor: 'hr', healthy: true }] });
    const chain = careerChain(input.nip);
    // The probation run ends in continueAsNew once its year is over and the PNS appointment is recorded and anchored.
    await env.sleep(Date.parse(recorded.probation!.endsAt) + 3_600_000 - (await env.currentTimeMs()));
    await expect
      .poll(async () => (await anchoredCheckpoints(deps, careerWorkflowIdOf(input.nip))).checkpoints.length, {
        timeout: 60_000,
        interval: 200,
      })
      .toBe(1);
    const latest = await env.client.workflow.getHandle(careerWorkflowIdOf(input.nip)).describe();
    expect(latest.runId).not.toBe(handle.firstExecutionRunId);
    const rows = await rowsOf(chain);
    expect(rows.at(-1)!.action).toBe('career.pns');
    const v = await verifyAnchoredChain(deps, chain, careerWorkflowIdOf(input.nip));
    expect(v).toMatchObject({
      ok: true,
      anchor: { status: 'intact', head: { seq: rows.at(-1)!.seq, hash: rows.at(-1)!.hash } },
    });
    // The API finds the career's workflow by the NIP (through its opaque id); an unknown NIP is 404.
    const api = await app.inject({ method: 'GET', url: `/careers/${input.nip}/audit/verify`, headers: auditor });
    expect(api.statusCode, api.body).toBe(200);
    expect(api.json()).toMatchObject({
      chain,
      ok: true,
      anchor: { status: 'intact', source: careerWorkflowIdOf(input.nip) },
    });
    expect(
      (await app.inject({ method: 'GET', url: '/careers/199001012020121999/audit/verify', headers: auditor }))
        .statusCode,
    ).toBe(404);
    await db.deleteFrom('audit_log').where('chain', '=', chain).where('seq', '=', rows.at(-1)!.seq).execute();
    expect(await verifyChain(db, chain)).toMatchObject({ ok: true });
    expect(await verifyAnchoredChain(deps, chain, careerWorkflowIdOf(input.nip))).toMatchObject({
      ok: false,
      anchor: { status: 'rows_deleted_after_head' },
    });
    await handle.terminate('test over').catch(() => undefined);
  }, 120_000);
});
