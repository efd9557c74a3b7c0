import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app';
import { roundReport } from '../../api/services/report';
import type { CandidateStatus } from '../../contracts';
import { createUser } from '../../db/users';
import { driveRound } from '../../demo/driver';
import { ApiClient } from '../../demo/http';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * `npm run demo -- --seed S` tells the same story on any machine (issue 20): the same seeded round
 * driven twice through the real API on a real-time dev server and PostgreSQL — once as it is, once
 * with both cores kept busy by two spinning processes (as scripts/contended.mjs makes them) — ends
 * with the same funnel, the same outcome and decisions for every candidate (without their
 * timestamps, reviewer names or NIP sequence numbers) and the same report figures.
 */
const SEED = 5;
const CANDIDATES = 16;
const DAY_MS = 3_000;
const BUDGET_YEAR = 2047;
const HOG = `
const spin = () => {
  const end = Date.now() + 50;
  let x = 0;
  while (Date.now() < end) x = (x * 1103515245 + 12345) | 0;
  if (!process.connected) process.exit(0);
  setImmediate(spin);
};
process.on('disconnect', () => process.exit(0));
spin();
`;

let h: Harness;
let app: FastifyInstance;
let baseUrl: string;
const taskQueue = uniqueTaskQueue('demo-determinism');
const hogs: ChildProcess[] = [];
const stopHogs = (): void => {
  for (const p of hogs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
};

beforeAll(async () => {
  h = await startHarness(taskQueue, { server: 'dev' });
  app = await buildApp({
    deps: h.deps,
    logger: pino({ level: 'silent' }),
    rateLimit: { max: 100_000, timeWindow: 60_000 },
    bundlePath: inject('bundlePath'),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  stopHogs();
  await app?.close();
  await h?.stop();
});

/** Everything the round decided, without what depends on when or on which run it was. */
async function drive(label: string, nikOffset: number) {
  const roundId = `det-${label}-${Date.now().toString(36)}`;
  const mk = async (role: 'hr' | 'reviewer' | 'supervisor', name: string) => {
    const username = `${roundId}.${name}`;
    return { username, token: (await createUser(h.db, { username, displayName: name, role })).token };
  };
  const hr = await mk('hr', 'panitia');
  const api = new ApiClient(baseUrl, { timeoutMs: 30_000 });
  const result = await driveRound({
    api,
    hr,
    reviewers: [await mk('reviewer', 'v1'), await mk('reviewer', 'v2')],
    supervisor: await mk('supervisor', 'atasan'),
    roundId,
    candidates: CANDIDATES,
    seed: SEED,
    budgetYear: BUDGET_YEAR,
    nikOffset,
    concurrency: 4,
    dayMs: DAY_MS,
    retryForMs: 60_000,
  });
  const people = new RegExp(`${roundId.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}\\.\\w+`, 'g');
  const candidates = await Promise.all(
    [...result.registered]
      .sort((a, b) => a.sim.index - b.sim.index)
      .map(async (r) => {
        const s = await api.get<CandidateStatus>(`/registrations/${r.registrationNo}`, { token: hr.token });
        return {
          index: r.sim.index,
          outcome: s.outcome,
          stage: s.stage,
          administrasi: s.administrasi,
          sanggah: s.sanggah && { stage: s.sanggah.stage, accepted: s.sanggah.accepted, answer: s.sanggah.answer },
          skd: s.skd,
          skb: s.skb,
          final: s.final,
          appointed: s.nip !== null,
          decisions: s.decisions.map((d) => ({
            what: d.what.replace(/NIP ditetapkan \d+, SK CPNS \S+/, 'NIP ditetapkan (nomor), SK CPNS (nomor)'),
            who: d.who.replace(people, 'petugas'),
            why: d.why ?? null,
          })),
        };
      }),
  );
  const report = await roundReport(h.deps, roundId);
  return {
    funnel: await api.get<Record<string, number>>(`/rounds/${roundId}/funnel`, { token: hr.token }),
    refused: result.refused.map((r) => [r.sim.index, r.code]).sort(),
    lostTokens: result.lostTokens,
    careers: result.careers.length,
    phase: result.finalState.phase,
    candidates,
    report: {
      phase: report.phase,
      funnel: report.funnel,
      histograms: report.histograms,
      formations: report.formations,
      phases: report.phases.map((p) => p.phase),
    },
  };
}

describe('the seeded demo round is the same on a quiet and on a busy machine', () => {
  it('gives the same funnel, decisions and report figures with both cores kept busy', async () => {
    const base = 7_000 + (Math.floor(Date.now() / 1000) % 40) * 60;
    const quiet = await drive('quiet', base);
    for (let i = 0; i < 2; i++)
      hogs.push(spawn(process.execPath, ['-e', HOG], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
    let busy: Awaited<ReturnType<typeof drive>>;
    try {
      busy = await drive('busy', base + CANDIDATES);
    } finally {
      stopHogs();
    }
    // The seed gives a round with every kind of path: appeals, exams, appointments.
    expect(quiet.phase).toBe('closed');
    expect(quiet.candidates.some((c) => c.sanggah !== null)).toBe(true);
    expect(quiet.candidates.some((c) => c.outcome === 'appointed')).toBe(true);
    expect(quiet.candidates.every((c) => c.outcome !== null)).toBe(true);
    expect(busy).toEqual(quiet);
  }, 290_000);
});
