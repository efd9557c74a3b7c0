import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type RoundConfigInput, validateRoundConfig, withDefaults } from '../../domain';
import { testApp, testUsers } from '../helpers/api';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

const FILE = 'examples/round-medan-2026.yaml';
const OPTIONAL = [
  'passingGrades',
  'weights',
  'skbCutMultiplier',
  'skbTieBreak',
  'sanggahStages',
  'ageLimits',
  'requiredDocuments',
] as const;

let h: Harness;
let app: FastifyInstance;
let users: Awaited<ReturnType<typeof testUsers>>;
const taskQueue = uniqueTaskQueue('example-round');

beforeAll(async () => {
  h = await startHarness(taskQueue);
  app = await testApp(h.env, h.db, taskQueue);
  users = await testUsers(h.db);
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

describe(`the example round a newcomer starts from (${FILE})`, () => {
  const input = parseYaml(readFileSync(FILE, 'utf8')) as RoundConfigInput;

  it('passes the validator, and each optional field it shows is the default its comment names', () => {
    expect(validateRoundConfig(withDefaults(input))).toEqual([]);
    expect(input.formations.length).toBeGreaterThanOrEqual(3);
    const bare = { ...input, schedule: { ...input.schedule } } as Record<string, unknown> & {
      schedule: Record<string, unknown>;
    };
    for (const k of OPTIONAL) delete bare[k];
    delete bare.schedule.sanggahDays;
    delete bare.schedule.jawabSanggahDays;
    const defaults = withDefaults(bare as unknown as RoundConfigInput);
    expect(validateRoundConfig(defaults)).toEqual([]);
    for (const k of OPTIONAL) expect(input[k], k).toEqual(defaults[k]);
    expect([input.schedule.sanggahDays, input.schedule.jawabSanggahDays]).toEqual([
      defaults.schedule.sanggahDays,
      defaults.schedule.jawabSanggahDays,
    ]);
    // Every field of the file has a comment above it.
    const lines = readFileSync(FILE, 'utf8').split('\n');
    const topKeys = lines.map((l, i) => [l, i] as const).filter(([l]) => /^[a-zA-Z]+:/.test(l));
    for (const [l, i] of topKeys) expect(lines[i - 1], l).toMatch(/^#/);
  });

  it('starts a round through the API as it is (with its own roundId)', async () => {
    const roundId = `medan-example-${Date.now().toString(36)}`;
    const res = await app.inject({
      method: 'POST',
      url: '/rounds',
      headers: users.hr.headers,
      payload: { ...input, roundId },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ roundId, workflowId: `round/${roundId}` });
    await expect
      .poll(async () => (await app.inject({ method: 'GET', url: `/rounds/${roundId}` })).statusCode, {
        timeout: 30_000,
        interval: 250,
      })
      .toBe(200);
    const state = (await app.inject({ method: 'GET', url: `/rounds/${roundId}` })).json();
    expect(state.formations.map((f: { formationId: string }) => f.formationId)).toEqual(
      input.formations.map((f) => f.formationId),
    );
  });
});
