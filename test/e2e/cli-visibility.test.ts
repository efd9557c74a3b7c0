import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ServiceDeps } from '../../api/services/deps';
import { listCandidates } from '../../api/services/announcements';
import { submitDocuments } from '../../api/services/documents';
import { createRound } from '../../api/services/rounds';
import { sampleRound } from '../fixtures';
import type { Db } from '../../db/connection';
import { PERAWAT_DOCS, registerCandidate, uploadAll } from '../helpers/candidates';
import { spawn } from 'node:child_process';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

let h: Harness;
let env: TestWorkflowEnvironment;
let db: Db;
let deps: ServiceDeps;
const taskQueue = uniqueTaskQueue('cli');

beforeAll(async () => {
  h = await startHarness(taskQueue, { server: 'dev' });
  ({ env, db, deps } = h);
});
afterAll(async () => {
  await h?.stop();
});

describe('HR lists through Temporal visibility, and the asn CLI, against a real dev server', () => {
  it('lists candidates by stage; the CLI lists, exports, replays and verifies', async () => {
    // A real round workflow whose registration opened a day ago (it walks its past phases at once).
    const { config } = await createRound(
      deps,
      sampleRound(`cli-${Date.now().toString(36)}`, {}, Date.now() - 32 * 86_400_000),
      'hr.cli',
    );
    await expect
      .poll(
        async () =>
          (await db.selectFrom('rounds').select('phase').where('round_id', '=', config.roundId).executeTakeFirst())
            ?.phase,
        { timeout: 20_000 },
      )
      .toBe('registration');
    const nos: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { registrationNo } = await registerCandidate(deps, config.roundId);
      nos.push(registrationNo);
    }
    await submitDocuments(deps, nos[0]!, await uploadAll(deps, nos[0]!, PERAWAT_DOCS));
    await expect
      .poll(
        async () => (await listCandidates(deps, config.roundId, { stage: 'documents' })).map((c) => c.registrationNo),
        { timeout: 20_000 },
      )
      .toEqual(nos);
    expect(await listCandidates(deps, config.roundId, { stage: 'verification' })).toEqual([]);
    expect((await listCandidates(deps, config.roundId, { formationId: 'DINKES-PERAWAT' })).length).toBe(3);

    const run = async (args: string[]): Promise<{ code: number | null; out: string }> => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/asn.ts', ...args], {
        cwd: process.cwd(),
        env: {
          ...process.env,
          DATABASE_URL: inject('databaseUrl'),
          TEMPORAL_ADDRESS: env.address,
          TASK_QUEUE: taskQueue,
          ASN_WORKFLOW_BUNDLE: inject('bundlePath'),
        },
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      return { code, out };
    };
    const listed = await run(['candidates', config.roundId, '--stage', 'documents']);
    expect(listed.code, listed.out).toBe(0);
    expect(JSON.parse(listed.out).candidates.map((c: { registrationNo: string }) => c.registrationNo)).toEqual(nos);
    const exported = await run(['history', 'export', `candidate/${nos[0]}`]);
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.out).events.length).toBeGreaterThan(3);
    const replayed = await run(['replay', '--round', config.roundId]);
    expect(replayed.code, replayed.out).toBe(0);
    expect(replayed.out).toMatch(/"ok": 4/); // the round and its three candidates
    const verified = await run(['audit', 'verify', config.roundId]);
    expect(verified.code, verified.out).toBe(0);
    const bad = await run(['import', config.roundId, 'psikotes', 'x.csv']);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/VALIDATION_FAILED/);
  }, 120_000);
});
