import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { career } from '../../workflows/career';
import type { CareerInput } from '../../contracts';
import type { Db } from '../../db/connection';
import { newCareerId } from '../../activities/candidate';
import { careerWorkflowId } from '../../contracts';

let nipCounter = 100;
export function careerInput(overrides: Partial<CareerInput> = {}, tmt = '2027-01-01'): CareerInput {
  nipCounter += 1;
  const birthDate = overrides.birthDate ?? '1998-03-14';
  const nip = `${birthDate.replaceAll('-', '')}${tmt.slice(0, 4)}${tmt.slice(5, 7)}1${String(nipCounter % 1000).padStart(3, '0')}`;
  return {
    nip: overrides.nip ?? `${nip.slice(0, 15)}${String((process.pid + nipCounter) % 1000).padStart(3, '0')}`,
    registrationNo: '202500000000',
    roundId: 'career-test',
    unit: `Dinas Kesehatan ${process.pid}-${nipCounter}`,
    jabatan: 'Perawat Ahli Pertama',
    birthDate,
    tmt,
    supervisor: 'atasan.budi',
    unitHead: 'kepala.unit',
    retirementAge: 58,
    checkInsPerYear: 2,
    summary: {
      year: Number(tmt.slice(0, 4)),
      status: 'cpns',
      recentPredikat: [],
      ladderPosition: null,
      reEvaluationDue: null,
    },
    ...overrides,
  };
}

/** The opaque career id of each career these tests started (by NIP), as the appointment stores it in production. */
const careerIds = new Map<string, string>();

/** The workflow id of a career started by startCareer (or a fresh opaque one, remembered for the NIP). */
export function careerWorkflowIdOf(nip: string): string {
  let id = careerIds.get(nip);
  if (!id) {
    id = newCareerId();
    careerIds.set(nip, id);
  }
  return careerWorkflowId(id);
}

export async function startCareer(env: TestWorkflowEnvironment, taskQueue: string, input: CareerInput) {
  return env.client.workflow.start<typeof career>('career', {
    taskQueue,
    workflowId: careerWorkflowIdOf(input.nip),
    args: [input],
  });
}

/** 1 January of the test server's next year, as YYYY-MM-DD. */
export async function nextJanuary(env: TestWorkflowEnvironment): Promise<string> {
  const y = new Date(await env.currentTimeMs()).getUTCFullYear();
  return `${y + 1}-01-01`;
}

/** Waits until the career's workflow has recorded its row (openCareer, in its first task). */
export async function careerRecorded(db: Db, nip: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await db.selectFrom('careers').select('nip').where('nip', '=', nip).executeTakeFirst())) {
    if (Date.now() > until) throw new Error(`career ${nip} not recorded`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
