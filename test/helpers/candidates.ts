import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createRoundActivities } from '../../activities/round';
import type { ServiceDeps } from '../../api/services/deps';
import { storeDocument } from '../../api/services/documents';
import { register, type RegistrationRequest } from '../../api/services/registrations';
import type { Db } from '../../db/connection';
import { createUser } from '../../db/users';
import { type RoundConfig, type RoundConfigInput, withDefaults } from '../../domain';
import { sampleRound } from '../fixtures';
import type { CandidateStatus } from '../../contracts';

export const DAY = 86_400_000;

/** A round whose registration opened a day ago (by the server's clock), recorded and open. */
export async function openRound(
  db: Db,
  now: number,
  roundId: string,
  overrides: Partial<RoundConfigInput> = {},
): Promise<RoundConfig> {
  const config = withDefaults(sampleRound(roundId, overrides, now - 32 * DAY));
  await createRoundActivities({ db }).recordRound({ config, createdBy: 'hr.test', at: new Date(now).toISOString() });
  await db.updateTable('rounds').set({ phase: 'registration' }).where('round_id', '=', roundId).execute();
  return config;
}

let nikCounter = Math.floor(Math.random() * 5000);
const district = String(1 + Math.floor(Math.random() * 98)).padStart(2, '0');

/** A valid NIK for the birth date and sex, unique within a test run. */
export function nikFor(birthDate: string, sex: 'L' | 'P'): string {
  nikCounter += 1;
  const [y, m, d] = birthDate.split('-');
  const day = Number(d) + (sex === 'P' ? 40 : 0);
  return `1271${district}${String(day).padStart(2, '0')}${m}${y!.slice(2)}${String(nikCounter % 10000 || 1).padStart(4, '0')}`;
}

export function registration(overrides: Partial<RegistrationRequest> = {}): RegistrationRequest {
  const birthDate = overrides.birthDate ?? '1996-04-12';
  const sex = overrides.sex ?? 'P';
  return {
    nik: nikFor(birthDate, sex),
    fullName: 'Siti Aminah Lubis',
    birthDate,
    sex,
    email: 'siti@example.id',
    formationId: 'DINKES-PERAWAT',
    category: 'umum',
    education: { level: 'S1', program: 'Keperawatan', ipk: 351 },
    ...overrides,
  };
}

export const JPEG = (tag: string): Buffer =>
  Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from(`JFIF ${tag}`)]);
export const PDF = (tag: string): Buffer => Buffer.from(`%PDF-1.4\n% ${tag}\n%%EOF\n`);

/** Uploads every required document of the formation; returns their ids. */
export async function uploadAll(deps: ServiceDeps, registrationNo: string, kinds: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const kind of kinds) {
    const content = ['pas_foto', 'swafoto', 'ktp'].includes(kind)
      ? JPEG(`${registrationNo}-${kind}`)
      : PDF(`${registrationNo}-${kind}`);
    ids.push((await storeDocument(deps, registrationNo, kind, content)).documentId);
  }
  return ids;
}

export const PERAWAT_DOCS = ['pas_foto', 'swafoto', 'ktp', 'ijazah', 'transkrip', 'surat_lamaran', 'str'];

let reviewerCounter = 0;
export async function reviewers(db: Db, n: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    reviewerCounter += 1;
    const username = `verifikator-${process.pid}-${reviewerCounter}-${Date.now().toString(36)}`;
    await createUser(db, { username, displayName: `Verifikator ${reviewerCounter}`, role: 'reviewer' });
    names.push(username);
  }
  return names;
}

export async function registerCandidate(
  deps: ServiceDeps,
  roundId: string,
  overrides: Partial<RegistrationRequest> = {},
): Promise<{ registrationNo: string; token: string }> {
  const r = await register(deps, roundId, registration(overrides));
  if (!r.token) throw new Error(`registration ${r.registrationNo} answered without a token (a replay)`);
  return { registrationNo: r.registrationNo, token: r.token };
}

export function envNow(env: TestWorkflowEnvironment): Promise<number> {
  return env.currentTimeMs();
}

/**
 * A candidate status as both the workflow and the API's PostgreSQL read can say it: the
 * documents deadline left out (the workflow keeps the first one it was given; the read gives the
 * round's current one) and each decision as who, what and why (both word it with
 * domain/decision-wording.ts; only the instant differs: the workflow's task or the write's).
 */
export function comparableStatus(s: CandidateStatus): Omit<CandidateStatus, 'decisions'> & { decisions: string[] } {
  const { documents: _close, ...deadlines } = s.deadlines;
  return { ...s, deadlines, decisions: s.decisions.map((d) => `${d.who}: ${d.what}${d.why ? ` (${d.why})` : ''}`) };
}
