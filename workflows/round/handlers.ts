import { condition, setHandler } from '@temporalio/workflow';
import { examImportRefusal, instantMs, type RoundSchedule, SCHEDULE_KEYS, validateRoundConfig } from '../../domain';
import {
  adoptCriteriaUpdate,
  advancePhaseUpdate,
  applyImportUpdate,
  cancelRoundSignal,
  extendDeadlineUpdate,
  rankUpdate,
  reject,
  roundStateQuery,
  type AdoptCriteriaInput,
  type AdvancePhaseInput,
  type DeadlineChange,
  type ExtendDeadlineInput,
  type RoundState,
} from '../../contracts';
import { db } from './activities';
import { adopt } from './steps';
import { doneJob, enqueue, nowIso, PHASE_STARTS, phaseIn, stateOf, withCriteria, type Round } from './state';

/** Every instant HR may extend, in schedule order (the phase starts and the reviewers' deadline). */
const DEADLINE_KEYS: readonly (keyof RoundSchedule)[] = SCHEDULE_KEYS;

/** Deadlines the candidates keep a copy of: a change is sent to them (after the round's record has it). */
const CANDIDATE_DEADLINES = ['registrationCloses', 'verificationDeadline', 'announcementAt', 'drhDeadline'] as const;

/**
 * The round's message handlers. One rule keeps them safe beside the main routine (samples-typescript
 * message-passing/safe-message-handlers): each sets the round's state before its first `await`,
 * and the main routine waits for `allHandlersFinished` before it decides at a deadline and
 * before it returns — no flag per message.
 */
export function installHandlers(r: Round): void {
  setHandler(roundStateQuery, () => stateOf(r));
  setHandler(cancelRoundSignal, (c) => {
    r.cancelled = c;
  });
  setHandler(extendDeadlineUpdate, (req) => extendDeadline(r, req), {
    validator: (req) => validateExtension(r, req),
  });
  setHandler(advancePhaseUpdate, (req) => advancePhase(r, req), {
    validator: (req) => validateAdvance(r, req),
  });
  setHandler(
    applyImportUpdate,
    (req) =>
      enqueue(r, {
        kind: 'import',
        importId: req.importId,
        exam: req.exam,
        correction: req.correction,
        actor: req.actor,
      }),
    {
      validator: (req) => {
        const refusal = examImportRefusal(req.exam, r.phase);
        if (refusal) reject('WRONG_PHASE', refusal);
      },
    },
  );
  setHandler(rankUpdate, (req) => enqueue(r, { kind: 'rank', ranking: req.ranking, actor: req.actor }), {
    validator: (req) => validateRanking(r, req.ranking),
  });
  setHandler(
    adoptCriteriaUpdate,
    async (req: AdoptCriteriaInput): Promise<RoundState> => {
      await adopt(r, req, false);
      return stateOf(r);
    },
    { validator: (req) => validateAdoption(r, req) },
  );
}

/** The schedule changes at once (the phase wait reads it); the record follows, in acceptance order. */
async function extendDeadline(r: Round, req: ExtendDeadlineInput): Promise<RoundState> {
  const change: DeadlineChange = {
    key: req.key,
    from: r.config.schedule[req.key] as string,
    to: req.to,
    actor: req.actor,
    reason: req.reason,
    at: nowIso(),
  };
  r.config = { ...r.config, schedule: { ...r.config.schedule, [req.key]: req.to } };
  r.deadlineChanges.push(change);
  const seq = r.deadlineChanges.length;
  const write = r.deadlineWrites
    .catch(() => undefined)
    .then(() => db.recordDeadlineChange({ roundId: r.config.roundId, change, seq }));
  r.deadlineWrites = write;
  await write;
  // The candidates' copies: the notice goes out once the round's record holds the change.
  const key = req.key as (typeof CANDIDATE_DEADLINES)[number];
  if (CANDIDATE_DEADLINES.includes(key)) enqueue(r, { kind: 'schedule', key, to: req.to, seq });
  return stateOf(r);
}

/**
 * Simulation rounds only (issue 20): the phase waited for begins now, once the driver's work
 * before it is done. Its instant (and any earlier one still later) becomes now — in the state at
 * once, then in the record (chained with the extensions), then in the candidates' copies by a
 * notice job. Answers once the new phase is recorded (a held phase still waits for its decisions).
 */
async function advancePhase(r: Round, req: AdvancePhaseInput): Promise<RoundState> {
  const step = r.waiting!;
  const at = nowIso();
  const upto = SCHEDULE_KEYS.indexOf(step.at as (typeof SCHEDULE_KEYS)[number]);
  const moved = SCHEDULE_KEYS.filter(
    (k, i) => i <= upto && instantMs(r.config.schedule[k] as string) > instantMs(at),
  ).map((key) => ({ key, from: r.config.schedule[key] as string }));
  const schedule = { ...r.config.schedule };
  for (const m of moved) schedule[m.key] = at as never;
  r.config = { ...r.config, schedule };
  r.advanced = step.phase;
  const write = r.deadlineWrites
    .catch(() => undefined)
    .then(() => db.recordPhaseAdvance({ roundId: r.config.roundId, to: step.phase, moved, ...req, at }));
  r.deadlineWrites = write;
  await write;
  for (const m of moved) {
    const key = m.key as (typeof CANDIDATE_DEADLINES)[number];
    // Numbered as the next deadline change: enqueue keeps the candidates' phase keys unique.
    // (The announcement's instant matters to candidates only for the administrasi sanggah.)
    const read = key !== 'announcementAt' || r.config.sanggahStages.includes('administrasi');
    if (CANDIDATE_DEADLINES.includes(key) && read)
      enqueue(r, { kind: 'schedule', key, to: at, seq: r.deadlineChanges.length + 1 });
  }
  // Answered once the phase is recorded and the round waits for the next one (or has closed).
  await condition(
    () => r.cancelled !== undefined || (r.recorded === step.phase && (r.waiting !== undefined || r.phase === 'closed')),
  );
  return stateOf(r);
}

function validateAdvance(r: Round, req: AdvancePhaseInput): void {
  if (!r.config.simulation) reject('NOT_SIMULATION', 'Tahap hanya dapat dimajukan pada seleksi simulasi');
  if (req.from !== r.phase) reject('WRONG_PHASE', `Tahap sekarang ${r.phase}, bukan ${req.from}`);
  if (!r.waiting || r.advanced === r.waiting.phase)
    reject('WRONG_PHASE', `Tahap ${r.phase} tidak sedang menunggu jadwalnya; ulangi sebentar lagi`);
  if (!req.reason?.trim()) reject('INVALID_DECISION', 'Alasan memajukan tahap wajib diisi');
}

function validateExtension(r: Round, req: ExtendDeadlineInput): void {
  const schedule = r.config.schedule;
  if (!DEADLINE_KEYS.includes(req.key)) reject('INVALID_DEADLINE', `Tenggat ${String(req.key)} tidak dikenal`);
  const current = instantMs(schedule[req.key] as string);
  const next = instantMs(req.to);
  if (Number.isNaN(next)) reject('INVALID_DEADLINE', 'Tenggat baru harus tanggal-waktu ISO 8601 dengan zona waktu');
  if (current <= Date.now()) reject('DEADLINE_PASSED', `Tenggat ${req.key} sudah lewat`);
  // The clock can lag right after a worker restart; a phase already begun (or held) is the surer sign.
  const starts = PHASE_STARTS.find((p) => p.at === req.key)?.phase;
  if (starts && (r.phases.some((p) => p.phase === starts) || r.held?.phase === starts))
    reject('DEADLINE_PASSED', `Tenggat ${req.key} sudah lewat`);
  if (next <= current) reject('INVALID_DEADLINE', 'Tenggat hanya dapat dimundurkan (diperpanjang)');
  const following = DEADLINE_KEYS[DEADLINE_KEYS.indexOf(req.key) + 1];
  if (following && next > instantMs(schedule[following] as string))
    reject('INVALID_DEADLINE', `Tenggat baru harus tetap sebelum ${following}`);
  if (!req.reason?.trim()) reject('INVALID_DEADLINE', 'Alasan perpanjangan wajib diisi');
}

function validateRanking(r: Round, ranking: 'skb_selection' | 'final'): void {
  const imported = (exam: 'skd' | 'skb'): boolean => r.jobs.some((j) => j.job.kind === 'import' && j.job.exam === exam);
  if (ranking === 'skb_selection') {
    if (!phaseIn(r, 'skd', 'skb'))
      reject('WRONG_PHASE', `Penetapan peserta SKB hanya pada tahap SKD/SKB (sekarang: ${r.phase})`);
    if (!imported('skd')) reject('WRONG_PHASE', 'Nilai SKD belum diimpor');
    return;
  }
  if (!phaseIn(r, 'skb', 'final_announcement'))
    reject('WRONG_PHASE', `Pemeringkatan akhir hanya pada tahap SKB/pengumuman akhir (sekarang: ${r.phase})`);
  if (!imported('skb')) reject('WRONG_PHASE', 'Nilai SKB belum diimpor');
  if (!doneJob(r, (j) => j.kind === 'rank' && j.ranking === 'skb_selection'))
    reject('WRONG_PHASE', 'Peserta SKB belum ditetapkan');
}

function validateAdoption(r: Round, req: AdoptCriteriaInput): void {
  if (r.phase !== 'criteria_adoption')
    reject(
      'WRONG_PHASE',
      `Kriteria ditetapkan setelah konsultasi publik dan sebelum pendaftaran (sekarang: ${r.phase})`,
    );
  if (!req.response?.trim() || req.response.length > 4000)
    reject('INVALID_DECISION', 'Tanggapan atas masukan publik wajib diisi (≤ 4000 karakter)');
  const errors = validateRoundConfig(withCriteria(r.config, req));
  if (errors.length) reject('INVALID_DECISION', errors.map((e) => `${e.field}: ${e.message}`).join('; '));
}
