import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { Payload } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app';
import { loggerOptions } from '../../config/logger';
import { ENCRYPTED_ENCODING, payloadCodec } from '../../config/codec';
import { createUser } from '../../db/users';
import { driveRound, type DriverResult } from '../../demo/driver';
import { ApiClient } from '../../demo/http';
import { checkPassed, checkRound } from '../../demo/verify';
import { candidateWorkflowId, careerWorkflowId, roundWorkflowId } from '../../contracts';
import { startHarness, type Harness } from '../helpers/harness';
import { installTestRuntime, uniqueTaskQueue } from '../helpers/temporal';
import { enforceContract, type Contract } from '../helpers/contract';

/**
 * The demo's driver through the real API on the time-skipping server: a whole synthetic round,
 * then three questions — did every candidate end where their plan and the rankings say; is any
 * personal data readable in the raw histories the server stores; is any in the logs?
 */
const logs: string[] = [];
let h: Harness;
let env: TestWorkflowEnvironment;
let app: FastifyInstance;
let result: DriverResult;
let contract: Contract;
const taskQueue = uniqueTaskQueue('demo-round');

beforeAll(async () => {
  // Capture what the worker side logs (workflows, activities, the SDK) and what the API logs.
  installTestRuntime(
    new DefaultLogger('INFO', (entry) => void logs.push(`${entry.message} ${JSON.stringify(entry.meta ?? {})}`)),
  );
  h = await startHarness(taskQueue);
  env = h.env;
  const sink = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      logs.push(chunk.toString());
      cb();
    },
  });
  const { transport: _t, ...opts } = loggerOptions({ logLevel: 'info', production: true }, 'api');
  app = await buildApp({
    deps: h.deps,
    logger: pino(opts, sink),
    rateLimit: { max: 100_000, timeWindow: 60_000 },
    bundlePath: inject('bundlePath'),
  });
  // Every reply of the driven round is checked against the OpenAPI document.
  contract = enforceContract(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

describe('a synthetic Medan round driven through the HTTP API', () => {
  it('runs consultation → registration → verification with appeals → SKD → SKB → final → DRH and NIP', async () => {
    const port = (app.server.address() as AddressInfo).port;
    const roundId = `demo-test-${Date.now().toString(36)}`;
    const mk = async (
      role: 'hr' | 'reviewer' | 'supervisor',
      name: string,
    ): Promise<{ username: string; token: string }> => {
      const username = `${roundId}.${name}`;
      return { username, token: (await createUser(h.db, { username, displayName: name, role })).token };
    };
    result = await driveRound({
      api: new ApiClient(`http://127.0.0.1:${port}`, { timeoutMs: 15_000 }),
      hr: await mk('hr', 'panitia'),
      reviewers: [await mk('reviewer', 'v1'), await mk('reviewer', 'v2')],
      supervisor: await mk('supervisor', 'atasan'),
      roundId,
      candidates: 36,
      seed: 11,
      budgetYear: 2031,
      concurrency: 4,
      dayMs: 60_000,
      retryForMs: 5_000,
      clock: {
        now: () => env.currentTimeMs(),
        sleepUntil: async (ms) => {
          const now = await env.currentTimeMs();
          if (ms > now) await env.sleep(ms - now);
        },
      },
    });
    expect(result.finalState.phase).toBe('closed');
    const check = await checkRound(h.db, env.client, result);
    // Every appointed civil servant passed probation and got a first SKP plan from their supervisor.
    expect(result.careers.length).toBe(check.outcomes.appointed);
    expect({
      lost: check.lost,
      duplicated: check.duplicated,
      wrongOutcome: check.wrongOutcome,
      notEnded: check.notEnded,
      auditMissing: check.auditMissing,
      chainsBroken: check.chainsBroken,
    }).toEqual({ lost: [], duplicated: {}, wrongOutcome: [], notEnded: [], auditMissing: [], chainsBroken: [] });
    expect(checkPassed(check)).toBe(true);
    // The seed gives every kind of ending this round can have.
    expect(check.outcomes.appointed).toBeGreaterThan(0);
    expect(check.outcomes.skd_failed).toBeGreaterThan(0);
    expect(result.refused.length + (check.outcomes.tms ?? 0) + (check.outcomes.documents_missing ?? 0)).toBeGreaterThan(
      0,
    );
    // The public report renders from the round's data.
    const report = await (await fetch(`http://127.0.0.1:${port}/rounds/${roundId}/report`)).text();
    expect(report).toContain('Corong seleksi');
    expect(report).toContain(`nilai ambang batas 65`);
    for (const r of result.registered) expect(report).not.toContain(r.sim.request.nik);
    // Every reply of the round (thousands, every kind of route) matched its OpenAPI document.
    expect(contract.violations).toEqual([]);
  }, 240_000);

  it('stores no NIK, NIP, name, birth date, e-mail, DRH or token in plaintext in any history; the codec reads them back', async () => {
    expect(result).toBeDefined();
    const nips = await h.db
      .selectFrom('appointments')
      .select(['nip', 'career_id'])
      .where(
        'registration_no',
        'in',
        result.registered.map((r) => r.registrationNo),
      )
      .where('nip', 'is not', null)
      .execute();
    const ids = [
      roundWorkflowId(result.roundId),
      ...result.registered.map((r) => candidateWorkflowId(r.registrationNo)),
      ...nips.map((n) => careerWorkflowId(n.career_id!)),
    ];
    const secrets = result.registered
      .flatMap((r) => [
        r.sim.request.nik,
        r.sim.request.fullName,
        r.sim.request.birthDate,
        r.sim.request.email,
        `Jl. Contoh No. ${r.sim.index}, Medan`,
        ...(r.token ? [r.token] : []),
      ])
      .concat(nips.map((n) => n.nip!));
    let payloads = 0;
    const decodedText: string[] = [];
    for (const workflowId of ids) {
      const events: temporal.api.history.v1.IHistoryEvent[] = [];
      let nextPageToken: Uint8Array | undefined;
      do {
        const page = await env.connection.workflowService.getWorkflowExecutionHistory({
          namespace: 'default',
          execution: { workflowId },
          nextPageToken,
        });
        events.push(...(page.history?.events ?? []));
        nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
      } while (nextPageToken);
      const raw = Buffer.from(temporal.api.history.v1.History.encode({ events }).finish()).toString('latin1');
      for (const s of secrets)
        expect(raw.includes(Buffer.from(s, 'utf8').toString('latin1')), `${workflowId} holds ${s}`).toBe(false);
      // Every payload is ciphertext; decrypted, they hold what the workflow needs.
      const found: Payload[] = [];
      const plain: string[] = [];
      const walk = (v: unknown, path: string): void => {
        if (!v || typeof v !== 'object' || v instanceof Uint8Array) return;
        const o = v as Record<string, unknown>;
        if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') {
          if (Buffer.from((o as Payload).metadata!.encoding ?? new Uint8Array()).toString() === ENCRYPTED_ENCODING)
            found.push(o as Payload);
          else plain.push(`${path}: ${Buffer.from(o.data).toString('utf8')}`);
        } else for (const [k, x] of Object.entries(o)) walk(x, `${path}.${k}`);
      };
      walk(events, workflowId);
      // Readable by design: search attributes (Temporal indexes them: round, formation, stage, the
      // patch ids), patch markers, and the SDK core's local-activity marker bookkeeping.
      const MARKER_KEYS = new Set([
        'seq',
        'attempt',
        'activity_id',
        'activity_type',
        'complete_time',
        'backoff',
        'original_schedule_time',
      ]);
      const unexpected = plain.filter((p) => {
        if (/\.searchAttributes\.indexedFields\.(RoundId|FormationId|Stage|TemporalChangeVersion)(\.|:)/.test(p))
          return false;
        if (
          /\.markerRecordedEventAttributes\.details\.patch-data\.payloads\.\d+: \{"id":"[\w-]+","deprecated":(true|false)\}$/.test(
            p,
          )
        )
          return false; // patched() markers
        const m = /\.markerRecordedEventAttributes\.details\.data\.payloads\.\d+: (.*)$/s.exec(p);
        return !(m && Object.keys(JSON.parse(m[1]!) as object).every((k) => MARKER_KEYS.has(k)));
      });
      expect(unexpected).toEqual([]);
      payloads += found.length;
      for (const p of await payloadCodec().decode(found))
        decodedText.push(Buffer.from(p.data ?? new Uint8Array()).toString('utf8'));
    }
    expect(payloads).toBeGreaterThan(ids.length * 3);
    const decoded = decodedText.join('\n');
    // The control: the data is there, encrypted — the DRH of an appointed candidate, a birth date in a career's input.
    const appointed = result.registered.filter((r) => nips.length && r.sim.plan.submitsDrh);
    expect(appointed.some((r) => decoded.includes(`Jl. Contoh No. ${r.sim.index}, Medan`))).toBe(true);
    expect(result.registered.some((r) => decoded.includes(r.sim.request.birthDate))).toBe(true);
  }, 120_000);

  it('logs the whole round without a NIK, name, e-mail or token', () => {
    const all = logs.join('\n');
    expect(all).toContain('/registrations');
    expect(all).toContain('round recorded');
    expect(logs.length).toBeGreaterThan(500);
    const leaks = result.registered.flatMap((r) =>
      [
        r.sim.request.nik,
        r.sim.request.fullName,
        r.sim.request.email,
        r.token,
        `Jl. Contoh No. ${r.sim.index}, Medan`,
      ].filter((s) => s && all.includes(s)),
    );
    expect(leaks).toEqual([]);
  });
});
