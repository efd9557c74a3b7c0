import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ServiceDeps } from '../../api/services/deps';
import { createRound } from '../../api/services/rounds';
import { bundleWorkflows } from '../../worker/worker';
import type { Db } from '../../db/connection';
import { sampleRound } from '../fixtures';
import { registerCandidate } from '../helpers/candidates';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

let h: Harness;
let env: TestWorkflowEnvironment;
let db: Db;
let deps: ServiceDeps;
const taskQueue = uniqueTaskQueue('cli-exit');

beforeAll(async () => {
  h = await startHarness(taskQueue, { server: 'dev' });
  ({ env, db, deps } = h);
});
afterAll(async () => {
  await h?.stop();
});

async function asn(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/asn.ts', ...args], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: env.address,
      TASK_QUEUE: taskQueue,
      ASN_WORKFLOW_BUNDLE: inject('bundlePath'),
      ...extraEnv,
    },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { code, out, err };
}

describe('the asn CLI: 0 clean, 1 a finding, 2 could not run', () => {
  it('answers each case with its exit code, builds the workflow bundle itself, and refuses an unknown round', async () => {
    const { config } = await createRound(
      deps,
      sampleRound(`cli-exit-${Date.now().toString(36)}`, {}, Date.now() - 32 * 86_400_000),
      'hr.cli',
    );
    const roundId = config.roundId;
    await expect
      .poll(
        async () =>
          (await db.selectFrom('rounds').select('phase').where('round_id', '=', roundId).executeTakeFirst())?.phase,
        { timeout: 30_000 },
      )
      .toBe('registration');
    await registerCandidate(deps, roundId);

    // No bundle where it is looked for (as after a fresh clone, before any build): built from source.
    const missing = join(mkdtempSync(join(tmpdir(), 'asn-nobundle-')), 'workflow-bundle.js');
    const replayed = await asn(['replay', '--round', roundId], { ASN_WORKFLOW_BUNDLE: missing });
    expect(replayed.code, replayed.out + replayed.err).toBe(0);
    expect(replayed.err).toMatch(/membangun dari kode sumber/);
    expect(JSON.parse(replayed.out)).toMatchObject({ total: 2, ok: 2, failed: [] }); // the round and its candidate
    expect(existsSync(missing)).toBe(false); // never a stale bundle left where production looks

    const clean = await asn(['audit', 'verify', roundId]);
    expect(clean.code, clean.out + clean.err).toBe(0);
    expect(JSON.parse(clean.out).allOk).toBe(true);

    // 2: could not run.
    for (const args of [
      ['audit', 'verify', 'no-such-round'],
      ['replay', '--round', 'no-such-round'],
      ['rederive', 'no-such-round'],
    ]) {
      const r = await asn(args);
      expect(r.code, `${args.join(' ')}: ${r.out}${r.err}`).toBe(2);
      expect(r.err).toMatch(/NOT_FOUND: Seleksi no-such-round tidak ditemukan/);
      expect(r.out).not.toMatch(/"ok"|allOk/);
    }
    for (const args of [
      ['audit', 'verify'],
      ['replay'],
      ['frobnicate'],
      ['audit', 'verify', roundId, '--bogus'],
      ['import', roundId, 'psikotes', 'x.csv'],
      ['replay', '--round', roundId, '--bundle', missing],
    ]) {
      const r = await asn(args);
      expect(r.code, `${args.join(' ')}: ${r.out}${r.err}`).toBe(2);
    }
    const unreachable = await asn(['audit', 'verify', roundId], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(unreachable.code, unreachable.out + unreachable.err).toBe(2);
    expect(unreachable.err).toMatch(/tidak dapat dijalankan/);

    // 1: a finding. Histories replayed on code that has diverged from them: a determinism violation.
    const divergent = join(mkdtempSync(join(tmpdir(), 'asn-divergent-')), 'workflow-bundle.js');
    writeFileSync(divergent, await bundleWorkflows(join(__dirname, 'fixtures', 'divergent-workflows.ts')));
    const violated = await asn(['replay', '--round', roundId, '--bundle', divergent]);
    expect(violated.code, violated.out + violated.err).toBe(1);
    expect(JSON.parse(violated.out)).toMatchObject({ total: 2, ok: 0 }); // stdout is the JSON answer alone

    // 1: a finding. A row of the round's chain edited in SQL breaks the chain.
    const victim = await db
      .selectFrom('audit_log')
      .select('id')
      .where('chain', '=', `round:${roundId}`)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirstOrThrow();
    await sql`update audit_log set reason = 'diubah diam-diam' where id = ${victim.id}`.execute(db);
    const broken = await asn(['audit', 'verify', roundId]);
    expect(broken.code, broken.out + broken.err).toBe(1);
    expect(JSON.parse(broken.out).allOk).toBe(false);
  }, 300_000);

  it('advance: a real round is refused with its code (2); a simulation round begins its next phase now (0)', async () => {
    const { config } = await createRound(deps, sampleRound(`cli-real-${Date.now().toString(36)}`), 'hr.cli');
    await expect
      .poll(
        async () =>
          (await db.selectFrom('rounds').select('phase').where('round_id', '=', config.roundId).executeTakeFirst())
            ?.phase,
        { timeout: 30_000 },
      )
      .toBe('draft');
    const real = await asn(['--as', 'hr.cli', 'advance', config.roundId, 'draft', '--reason', 'uji coba']);
    expect(real.code, real.out + real.err).toBe(2);
    expect(real.err).toMatch(/NOT_SIMULATION/);
    const sim = await createRound(
      deps,
      sampleRound(`cli-sim-${Date.now().toString(36)}`, { simulation: { dayMs: 60_000 } }),
      'hr.cli',
    );
    await expect
      .poll(
        async () =>
          (await db.selectFrom('rounds').select('phase').where('round_id', '=', sim.roundId).executeTakeFirst())?.phase,
        { timeout: 30_000 },
      )
      .toBe('draft');
    const adv = await asn(['--as', 'hr.cli', 'advance', sim.roundId, 'draft', '--reason', 'Konsultasi dibuka']);
    expect(adv.code, adv.out + adv.err).toBe(0);
    expect(JSON.parse(adv.out)).toMatchObject({ roundId: sim.roundId, phase: 'consultation' });
    const stale = await asn(['advance', sim.roundId, 'draft', '--reason', 'lagi']);
    expect(stale.code, stale.out + stale.err).toBe(2);
    expect(stale.err).toMatch(/WRONG_PHASE/);
  }, 180_000);
});
