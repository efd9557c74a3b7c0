/**
 * The online SKD exam for the API and the portal (docs/exam.md): banks, sessions (created in
 * PostgreSQL, then their workflow exam/<sessionId>), the candidate's open/save/submit/events and
 * the proctor's view. The portal's exam pages call these functions with the session user.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { sql } from 'kysely';
import { bankVersions, importBank, itemBodies, latestBanks, type BankVersionRow } from '../../db/exam';
import {
  drawItems,
  EXAM_SUBTESTS,
  examDurationMs,
  skdExamSettings,
  validateBank,
  type BankItemInput,
  type ExamSubtest,
  type SkdExamSettings,
} from '../../domain';
import {
  examStateQuery,
  examWorkflowId,
  integritySignal,
  openExamUpdate,
  saveAnswersUpdate,
  submitExamUpdate,
  type ExamItemRef,
  type ExamResult,
  type ExamSessionInput,
  type ExamSessionState,
  type IntegrityEventInput,
  type SaveAnswersInput,
} from '../../contracts';
import { AppError, notFound } from '../errors';
import { QUERY_TIMEOUT_MS, type ServiceDeps } from './deps';
import { loadRoundConfig } from './registrations';

// ---------------------------------------------------------------------------------------------
// Banks

export async function importExamBank(
  deps: ServiceDeps,
  i: { bankId: string; subtest: ExamSubtest; items: BankItemInput[]; actor: string },
): Promise<BankVersionRow & { created: boolean }> {
  const problems = validateBank(i.subtest, i.items);
  if (problems.length)
    throw new AppError(
      422,
      'BANK_INVALID',
      `Bank soal tidak disimpan: ${problems.length} kesalahan`,
      problems.slice(0, 500),
    );
  return importBank(deps.db, i);
}

export async function listExamBank(
  deps: ServiceDeps,
  bankId: string,
): Promise<{ bankId: string; versions: Omit<BankVersionRow, 'bankId'>[] }> {
  const versions = await bankVersions(deps.db, bankId);
  if (!versions.length) throw notFound('Bank soal', bankId);
  return { bankId, versions: versions.map(({ bankId: _b, ...v }) => v) };
}

// ---------------------------------------------------------------------------------------------
// Sessions: creation

type SessionRow = Awaited<ReturnType<typeof sessionRowOf>>;
async function sessionRowOf(deps: ServiceDeps, where: { sessionId: string } | { registrationNo: string }) {
  let q = deps.db.selectFrom('exam_sessions').selectAll().where('exam', '=', 'skd');
  q =
    'sessionId' in where
      ? q.where('session_id', '=', where.sessionId)
      : q.where('registration_no', '=', where.registrationNo);
  return q.executeTakeFirst();
}

async function applicationOf(deps: ServiceDeps, registrationNo: string) {
  const app = await deps.db
    .selectFrom('applications')
    .select(['registration_no', 'round_id', 'category', 'outcome'])
    .where('registration_no', '=', registrationNo)
    .executeTakeFirst();
  if (!app) throw notFound('Pendaftaran', registrationNo);
  const { config } = await loadRoundConfig(deps, app.round_id);
  const settings = skdExamSettings(config);
  if (settings.mode !== 'online')
    throw new AppError(409, 'EXAM_NOT_ONLINE', 'SKD seleksi ini tidak diselenggarakan secara daring di sistem ini');
  return { app, config, settings };
}

/** SKD participants of a round (as the SKB-selection ranking's absence rule): MS, still in the race, no reused score. */
function participantsQuery(deps: ServiceDeps, roundId: string) {
  return deps.db
    .selectFrom('applications as a')
    .innerJoin('verifications as v', (j) =>
      j.onRef('v.registration_no', '=', 'a.registration_no').on('v.stage', '=', 'administrasi'),
    )
    .select('a.registration_no')
    .where('a.round_id', '=', roundId)
    .where('v.result', '=', 'MS')
    .where('a.outcome', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('skd_scores as k')
            .select('k.registration_no')
            .whereRef('k.registration_no', '=', 'a.registration_no')
            .where('k.reused_from_year', 'is not', null),
        ),
      ),
    );
}

function slotOf(settings: SkdExamSettings, slotId: string | null | undefined): SkdExamSettings['slots'][number] {
  const slot = slotId ? settings.slots.find((s) => s.slotId === slotId) : settings.slots[0];
  if (!slot) throw new AppError(422, 'UNKNOWN_SLOT', `Sesi ujian ${slotId} tidak ada pada seleksi ini`);
  return slot;
}

async function drawSession(deps: ServiceDeps, settings: SkdExamSettings) {
  const banks = await latestBanks(deps.db, settings.bankId);
  if (!banks.ok)
    throw new AppError(
      409,
      'EXAM_BANK_MISSING',
      `Bank soal ${settings.bankId} belum ada untuk: ${banks.missing.join(', ')}`,
    );
  const seed = randomBytes(16).toString('hex');
  const items: ExamItemRef[] = [];
  for (const sub of EXAM_SUBTESTS) {
    const bank = banks.items[sub];
    if (bank.length < settings.items[sub])
      throw new AppError(
        409,
        'EXAM_BANK_MISSING',
        `Bank soal ${settings.bankId} ${sub.toUpperCase()} berisi ${bank.length} soal; diperlukan ${settings.items[sub]}`,
      );
    const byId = new Map(bank.map((b) => [b.id, b.options]));
    for (const id of drawItems(
      seed,
      sub,
      bank.map((b) => b.id),
      settings.items[sub],
    ))
      items.push({ itemId: id, subtest: sub, options: byId.get(id)! });
  }
  return { seed, items, versions: banks.versions };
}

function inputOf(row: NonNullable<SessionRow>, settings: SkdExamSettings): ExamSessionInput {
  return {
    sessionId: row.session_id,
    roundId: row.round_id,
    registrationNo: row.registration_no,
    exam: 'skd',
    bankId: row.bank_id,
    bankVersions: row.bank_versions,
    items: row.items,
    seed: row.seed,
    durationMs: row.duration_ms,
    slot: slotOf(settings, row.slot_id),
  };
}

async function startWorkflow(deps: ServiceDeps, row: NonNullable<SessionRow>, settings: SkdExamSettings) {
  await deps.client.workflow.start('examSession', {
    workflowId: examWorkflowId(row.session_id),
    taskQueue: deps.taskQueue,
    args: [inputOf(row, settings)],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}

/** The candidate's session, created (row, then workflow) when there is none yet; `created` tells which. */
export async function ensureSession(
  deps: ServiceDeps,
  registrationNo: string,
): Promise<{ row: NonNullable<SessionRow>; settings: SkdExamSettings; created: boolean }> {
  const { app, settings } = await applicationOf(deps, registrationNo);
  const existing = await sessionRowOf(deps, { registrationNo });
  if (existing) return { row: existing, settings, created: false };
  const eligible = await participantsQuery(deps, app.round_id)
    .where('a.registration_no', '=', registrationNo)
    .executeTakeFirst();
  if (!eligible) throw new AppError(403, 'EXAM_NOT_PARTICIPANT', 'Anda bukan peserta SKD seleksi ini');
  const part = await deps.db
    .selectFrom('exam_participants')
    .select(['slot_id', 'visual_disability'])
    .where('round_id', '=', app.round_id)
    .where('registration_no', '=', registrationNo)
    .executeTakeFirst();
  const slot = slotOf(settings, part?.slot_id);
  const draw = await drawSession(deps, settings);
  await deps.db
    .insertInto('exam_sessions')
    .values({
      session_id: randomUUID(),
      round_id: app.round_id,
      registration_no: registrationNo,
      exam: 'skd',
      bank_id: settings.bankId,
      bank_versions: JSON.stringify(draw.versions),
      items: JSON.stringify(draw.items),
      seed: draw.seed,
      slot_id: slot.slotId,
      duration_ms: examDurationMs(settings, app.category, part?.visual_disability ?? false),
      status: 'waiting',
    })
    .onConflict((oc) => oc.columns(['round_id', 'registration_no', 'exam']).doNothing())
    .execute();
  const row = (await sessionRowOf(deps, { registrationNo }))!;
  await startWorkflow(deps, row, settings);
  return { row, settings, created: true };
}

/** HR opens the online SKD: a session for every participant (idempotent). */
export async function startRoundSessions(
  deps: ServiceDeps,
  roundId: string,
): Promise<{ created: number; existing: number }> {
  const { config } = await loadRoundConfig(deps, roundId);
  if (skdExamSettings(config).mode !== 'online')
    throw new AppError(409, 'EXAM_NOT_ONLINE', 'SKD seleksi ini tidak diselenggarakan secara daring di sistem ini');
  const rows = await participantsQuery(deps, roundId).orderBy('a.registration_no').execute();
  let created = 0;
  for (let i = 0; i < rows.length; i += 10) {
    const done = await Promise.all(rows.slice(i, i + 10).map((r) => ensureSession(deps, r.registration_no)));
    created += done.filter((d) => d.created).length;
  }
  return { created, existing: rows.length - created };
}

export async function setParticipant(
  deps: ServiceDeps,
  roundId: string,
  registrationNo: string,
  body: { slotId?: string; visualDisability: boolean },
  actor: string,
): Promise<{ registrationNo: string; slotId: string | null; visualDisability: boolean }> {
  const { config } = await loadRoundConfig(deps, roundId);
  const app = await deps.db
    .selectFrom('applications')
    .select('registration_no')
    .where('registration_no', '=', registrationNo)
    .where('round_id', '=', roundId)
    .executeTakeFirst();
  if (!app) throw notFound('Pendaftaran', registrationNo);
  if (body.slotId !== undefined) slotOf(skdExamSettings(config), body.slotId);
  if (await sessionRowOf(deps, { registrationNo }))
    throw new AppError(409, 'EXAM_SESSION_EXISTS', 'Sesi ujian peserta ini sudah dibuat; sesi dan waktunya tetap');
  const values = { slot_id: body.slotId ?? null, visual_disability: body.visualDisability, set_by: actor };
  await deps.db
    .insertInto('exam_participants')
    .values({ round_id: roundId, registration_no: registrationNo, ...values })
    .onConflict((oc) => oc.columns(['round_id', 'registration_no']).doUpdateSet({ ...values, set_at: sql`now()` }))
    .execute();
  return { registrationNo, slotId: values.slot_id, visualDisability: values.visual_disability };
}

// ---------------------------------------------------------------------------------------------
// Sessions: the candidate

const handleOf = (deps: ServiceDeps, sessionId: string) => deps.client.workflow.getHandle(examWorkflowId(sessionId));
const remaining = (deadline: string | null): number | null =>
  deadline === null ? null : Math.max(0, Date.parse(deadline) - Date.now());

export interface ExamSummary {
  online: true;
  sessionId: string | null;
  status: ExamSessionState['status'] | 'none';
  endedBy: ExamSessionState['endedBy'];
  slot: ExamSessionInput['slot'];
  durationMs: number;
  items: Record<ExamSubtest, number>;
  startedAt: string | null;
  deadline: string | null;
  remainingMs: number | null;
  answered: number;
  result: ExamResult | null;
}

function summaryOf(s: ExamSessionState, items: ExamItemRef[]): ExamSummary {
  const count = (sub: ExamSubtest) => items.filter((i) => i.subtest === sub).length;
  return {
    online: true,
    sessionId: s.sessionId,
    status: s.status,
    endedBy: s.endedBy,
    slot: s.slot,
    durationMs: s.durationMs,
    items: { twk: count('twk'), tiu: count('tiu'), tkp: count('tkp') },
    startedAt: s.startedAt,
    deadline: s.deadline,
    remainingMs: s.status === 'in_progress' ? remaining(s.deadline) : null,
    answered: Object.keys(s.answers).length,
    result: s.result,
  };
}

async function queryState(deps: ServiceDeps, sessionId: string): Promise<ExamSessionState> {
  return deps.client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handleOf(deps, sessionId).query(examStateQuery));
}

export async function examSummary(deps: ServiceDeps, registrationNo: string): Promise<ExamSummary> {
  const { settings } = await applicationOf(deps, registrationNo);
  const row = await sessionRowOf(deps, { registrationNo });
  if (!row) {
    const part = await deps.db
      .selectFrom('exam_participants')
      .select('slot_id')
      .where('registration_no', '=', registrationNo)
      .executeTakeFirst();
    return {
      online: true,
      sessionId: null,
      status: 'none',
      endedBy: null,
      slot: slotOf(settings, part?.slot_id),
      durationMs: settings.durationMs,
      items: settings.items,
      startedAt: null,
      deadline: null,
      remainingMs: null,
      answered: 0,
      result: null,
    };
  }
  if (row.status === 'finished' || row.status === 'absent') return summaryOfRow(row, settings);
  return summaryOf(await queryState(deps, row.session_id), row.items);
}

/** An ended session from its row (no replay of a closed workflow). */
function summaryOfRow(row: NonNullable<SessionRow>, settings: SkdExamSettings): ExamSummary {
  const count = (sub: ExamSubtest) => row.items.filter((i) => i.subtest === sub).length;
  const at = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);
  return {
    online: true,
    sessionId: row.session_id,
    status: row.status,
    endedBy: row.ended_by as ExamSummary['endedBy'],
    slot: slotOf(settings, row.slot_id),
    durationMs: row.duration_ms,
    items: { twk: count('twk'), tiu: count('tiu'), tkp: count('tkp') },
    startedAt: at(row.started_at),
    deadline: at(row.deadline),
    remainingMs: null,
    answered: row.answered ?? 0,
    result:
      row.status === 'finished'
        ? {
            twk: row.twk!,
            tiu: row.tiu!,
            tkp: row.tkp!,
            total: row.total!,
            passed: row.passed!,
            scoredAt: at(row.ended_at)!,
          }
        : null,
  };
}

function assertNotEnded(row: NonNullable<SessionRow>): void {
  if (row.status === 'finished' || row.status === 'absent')
    throw new AppError(409, 'EXAM_CLOSED', 'Sesi ujian sudah berakhir');
}

export interface ExamViewItem {
  no: number;
  itemId: string;
  subtest: ExamSubtest;
  text: string;
  options: { id: string; text: string }[];
}
export type ExamView = Omit<ExamSummary, 'online' | 'items'> & {
  sessionId: string;
  serverTime: string;
  revision: number;
  items: ExamViewItem[];
  answers: Record<string, string>;
  flags: string[];
};

/** Opens (or resumes, or takes over) the candidate's session: the items without keys, the saved answers, the time left. */
export async function openExam(
  deps: ServiceDeps,
  registrationNo: string,
  body: { deviceId: string; takeover?: boolean },
): Promise<ExamView> {
  const { row } = await ensureSession(deps, registrationNo);
  assertNotEnded(row);
  const s = await handleOf(deps, row.session_id).executeUpdate(openExamUpdate, { args: [body] });
  const bodies = await itemBodies(deps.db, row.bank_id, row.bank_versions, s.layout);
  const { online: _o, items: _i, ...summary } = summaryOf(s, row.items);
  return {
    ...summary,
    sessionId: s.sessionId,
    serverTime: new Date().toISOString(),
    revision: s.revision,
    items: s.layout.map((l, n) => {
      const b = bodies.get(l.itemId)!;
      const text = new Map(b.options.map((o) => [o.id, o.text]));
      return {
        no: n + 1,
        itemId: l.itemId,
        subtest: l.subtest,
        text: b.text,
        options: l.options.map((id) => ({ id, text: text.get(id)! })),
      };
    }),
    answers: s.answers,
    flags: s.flags,
  };
}

async function existingSession(deps: ServiceDeps, registrationNo: string): Promise<NonNullable<SessionRow>> {
  const row = await sessionRowOf(deps, { registrationNo });
  if (!row) throw new AppError(404, 'EXAM_SESSION_NONE', 'Sesi ujian belum dibuka');
  assertNotEnded(row);
  return row;
}

type Batch = SaveAnswersInput & { batchId: string };
const batchOf = (b: Batch): SaveAnswersInput => ({
  deviceId: b.deviceId,
  answers: b.answers,
  ...(b.flags ? { flags: b.flags } : {}),
  ...(b.events ? { events: b.events } : {}),
});

export async function saveExamAnswers(
  deps: ServiceDeps,
  registrationNo: string,
  body: Batch,
): Promise<{ revision: number; answered: number; deadline: string; remainingMs: number; savedAt: string }> {
  const row = await existingSession(deps, registrationNo);
  const ack = await handleOf(deps, row.session_id).executeUpdate(saveAnswersUpdate, {
    args: [batchOf(body)],
    updateId: `save:${body.batchId}`,
  });
  return { ...ack, remainingMs: remaining(ack.deadline)! };
}

export async function submitExam(deps: ServiceDeps, registrationNo: string, body: Batch): Promise<ExamSummary> {
  const row = await existingSession(deps, registrationNo);
  const s = await handleOf(deps, row.session_id).executeUpdate(submitExamUpdate, {
    args: [batchOf(body)],
    updateId: `submit:${body.batchId}`,
  });
  return summaryOf(s, row.items);
}

export async function recordIntegrity(
  deps: ServiceDeps,
  registrationNo: string,
  body: { deviceId: string; events: IntegrityEventInput[] },
): Promise<{ accepted: number }> {
  const row = await existingSession(deps, registrationNo);
  await handleOf(deps, row.session_id).signal(integritySignal, body);
  return { accepted: body.events.length };
}

export { sessionRowOf, queryState, summaryOf, remaining, inputOf };
