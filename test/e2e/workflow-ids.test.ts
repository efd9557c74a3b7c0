import type { AddressInfo } from 'node:net';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app';
import { enforceContract } from '../helpers/contract';
import type { ServiceDeps } from '../../api/services/deps';
import type { Db } from '../../db/connection';
import { createUser } from '../../db/users';
import { driveRound, type DriverResult } from '../../demo/driver';
import { ApiClient } from '../../demo/http';
import { careerWorkflowId, DEFAULT_TASK_QUEUE as TASK_QUEUE } from '../../contracts';
import { devServerEnv, testDb, testWorker } from '../helpers/temporal';

/**
 * Issue 15, finding 3: the Temporal Web UI listed `career/<NIP>` workflow ids, and a NIP spells
 * the birth date and the sex. A synthetic round runs end to end through the HTTP API on a real
 * dev server (visibility, search attributes, the production task queue), its appointed
 * candidates' careers start and are driven through `/careers/{nip}`; then EVERY workflow of the
 * namespace is listed as the Web UI lists them — id, type, task queue, search attributes, memo,
 * and the raw execution info the server returns — and none may hold a NIK, a NIP, a full name,
 * an e-mail or a birth date (YYYY-MM-DD, YYYYMMDD, or the NIK's DDMMYY) of any candidate.
 */
let env: TestWorkflowEnvironment;
let db: Db;
let worker: Worker;
let running: Promise<void>;
let app: FastifyInstance;
let result: DriverResult;

beforeAll(async () => {
  env = await devServerEnv();
  db = testDb();
  worker = await testWorker(env, { db }, TASK_QUEUE);
  running = worker.run();
  const deps: ServiceDeps = { db, client: env.client, connection: env.connection, taskQueue: TASK_QUEUE };
  app = await buildApp({
    deps,
    logger: pino({ level: 'warn' }),
    rateLimit: { max: 100_000, timeWindow: 60_000 },
    bundlePath: inject('bundlePath'),
  });
  enforceContract(app); // every reply checked against the OpenAPI document
  await app.listen({ host: '127.0.0.1', port: 0 });
}, 120_000);
afterAll(async () => {
  await app?.close();
  worker?.shutdown();
  await running;
  await env?.teardown();
  await db?.destroy();
});

interface Listed {
  workflowId: string;
  /** What the listing shows of the workflow, as text (the raw execution info in latin1 too). */
  text: string;
}

function describeListed(w: WorkflowExecutionInfo): Listed {
  const shown = JSON.stringify({
    id: w.workflowId,
    type: w.type,
    taskQueue: w.taskQueue,
    searchAttributes: w.searchAttributes,
    typedSearchAttributes: w.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]),
    memo: w.memo ?? null,
    parent: w.parentExecution ?? null,
    root: w.rootExecution ?? null,
  });
  const raw = Buffer.from(temporal.api.workflow.v1.WorkflowExecutionInfo.encode(w.raw).finish()).toString('latin1');
  return { workflowId: w.workflowId, text: `${shown}\n${raw}` };
}

/** The personal data of every simulated person (registered or not) and every NIP given out, as they could be spelled. */
function personalData(r: DriverResult, nips: string[]): { what: string; value: string }[] {
  const out = r.candidates.flatMap(({ request: p }) => [
    { what: 'NIK', value: p.nik },
    { what: 'name', value: p.fullName },
    { what: 'e-mail', value: p.email },
    { what: 'birth date YYYY-MM-DD', value: p.birthDate },
    { what: 'birth date YYYYMMDD', value: p.birthDate.replaceAll('-', '') },
    { what: "birth date DDMMYY (the NIK's)", value: p.nik.slice(6, 12) },
  ]);
  return [...out, ...nips.map((nip) => ({ what: 'NIP', value: nip }))];
}

/**
 * Which personal data a listed workflow shows. Registration numbers are taken out first: they are
 * the budget year and a counter (candidate workflows are named by them, by design) and a run of
 * their digits could spell someone's DDMMYY by chance.
 */
function leaks(listed: Listed[], data: { what: string; value: string }[], registrationNos: string[]): string[] {
  const found: string[] = [];
  for (const l of listed) {
    let text = l.text;
    for (const no of registrationNos) text = text.replaceAll(no, '<registration-no>');
    for (const d of data)
      if (text.includes(d.value) || text.includes(Buffer.from(d.value, 'utf8').toString('latin1')))
        found.push(`${l.workflowId}: ${d.what} ${d.value}`);
  }
  return found;
}

describe('no personal data in any workflow id, type, task queue, search attribute or memo (real dev server)', () => {
  it('drives a round with appointments and careers through the HTTP API, then lists every workflow of the namespace and finds none', async () => {
    const port = (app.server.address() as AddressInfo).port;
    // Letters only: a round id is chosen by HR and shown everywhere, it must not spell a date by chance.
    const roundId = `pii-ids-${Array.from({ length: 8 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('')}`;
    const mk = async (
      role: 'hr' | 'reviewer' | 'supervisor',
      name: string,
    ): Promise<{ username: string; token: string }> => {
      const username = `${roundId}.${name}`;
      return { username, token: (await createUser(db, { username, displayName: name, role })).token };
    };
    result = await driveRound({
      api: new ApiClient(`http://127.0.0.1:${port}`, { timeoutMs: 30_000 }),
      hr: await mk('hr', 'panitia'),
      reviewers: [await mk('reviewer', 'v1'), await mk('reviewer', 'v2')],
      supervisor: await mk('supervisor', 'atasan'),
      roundId,
      candidates: 36,
      seed: 11,
      budgetYear: 2031,
      nikOffset: 5_000,
      concurrency: 4,
      dayMs: 2_000,
      retryForMs: 30_000,
    });
    expect(result.finalState.phase).toBe('closed');

    const registrationNos = result.registered.map((r) => r.registrationNo);
    const appointed = await db
      .selectFrom('appointments')
      .select(['nip', 'career_id'])
      .where('registration_no', 'in', registrationNos)
      .where('nip', 'is not', null)
      .execute();
    // Careers started (and were driven through /careers/{nip} by HR and the supervisor).
    expect(appointed.length).toBeGreaterThan(0);
    expect(result.careers.length).toBe(appointed.length);
    const careerIds = appointed.map((a) => careerWorkflowId(a.career_id!));

    // Every workflow of the namespace, as the Web UI lists them (visibility catches up in a moment).
    let listed: Listed[] = [];
    let infos: WorkflowExecutionInfo[] = [];
    await expect
      .poll(
        async () => {
          infos = [];
          for await (const w of env.client.workflow.list()) infos.push(w);
          listed = infos.map(describeListed);
          const ids = new Set(listed.map((l) => l.workflowId));
          return (
            new Set(infos.filter((w) => w.type === 'career').map((w) => w.workflowId)).size >= appointed.length &&
            registrationNos.every((no) => ids.has(`candidate/${no}`))
          );
        },
        { timeout: 120_000, interval: 1_000 },
      )
      .toBe(true);
    const types = new Set(infos.map((w) => w.type));
    expect([...types].sort()).toEqual(expect.arrayContaining(['career', 'candidate', 'recruitmentRound']));
    // The round's and the candidates' search attributes are there (the check below reads real values).
    expect(infos.some((w) => w.typedSearchAttributes.getAll().some((p) => p.key.name === 'FormationId'))).toBe(true);

    const data = personalData(
      result,
      appointed.map((a) => a.nip!),
    );
    expect(leaks(listed, data, registrationNos)).toEqual([]);
    // Each career listed under its stored opaque id (a career that continued as new shows each run, under the same id).
    expect([...new Set(infos.filter((w) => w.type === 'career').map((w) => w.workflowId))].sort()).toEqual(
      [...careerIds].sort(),
    );

    // The control: the same check sees a NIP-named career (what the workflows were called before).
    const before: Listed = {
      workflowId: `career/${appointed[0]!.nip}`,
      text: JSON.stringify({ id: `career/${appointed[0]!.nip}`, type: 'career', taskQueue: TASK_QUEUE }),
    };
    expect(leaks([before], data, registrationNos).map((l) => l.split(': ')[1]!.split(' ')[0])).toEqual(
      expect.arrayContaining(['NIP', 'birth']),
    );
  }, 900_000);
});
