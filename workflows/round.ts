import {
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { DEADLINE_PATCH, waitForDeadline } from './deadline';
import {
  instantMs,
  type RoundConfig,
  type RoundSchedule,
  SCHEDULE_KEYS,
  scoringOf,
  validateRoundConfig,
} from '../domain';
import type { RoundActivities } from '../activities/round';
import type { RoundOpsActivities } from '../activities/round-ops';
import type { AuditActivities } from '../activities/audit';
import {
  adoptCriteriaUpdate,
  advancePhaseUpdate,
  applyImportUpdate,
  cancelRoundSignal,
  extendDeadlineUpdate,
  rankUpdate,
  type AdoptCriteriaInput,
  type AdvancePhaseInput,
  type JobRecord,
  type RoundJob,
  roundStateQuery,
  type DeadlineChange,
  type ExtendDeadlineInput,
  type PhaseChange,
  type RoundInput,
  type RoundPhase,
  type RoundState,
} from '../contracts';
import { reject } from '../contracts';

const db = proxyActivities<RoundActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: ['RoundConflict'] },
});
const ops = proxyActivities<RoundOpsActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['MISCONFIGURED'] },
});

const audit = proxyLocalActivities<AuditActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});
/** Guards the signed checkpoints of the round's audit chain (added after the golden histories). */
const AUDIT_ANCHOR_PATCH = 'audit-anchor';
const AUDIT_ANCHOR_RANKING_PATCH = 'audit-anchor-ranking';

/** Deadlines the candidates keep a copy of: a change is sent to them. */
const CANDIDATE_DEADLINES = ['registrationCloses', 'verificationDeadline', 'announcementAt', 'drhDeadline'] as const;

/** When each phase begins. `appointment` begins with the final announcement's aftermath. */
const PHASE_STARTS: { phase: RoundPhase; at: keyof RoundSchedule }[] = [
  { phase: 'consultation', at: 'consultationOpens' },
  { phase: 'criteria_adoption', at: 'consultationCloses' },
  { phase: 'registration', at: 'registrationOpens' },
  { phase: 'administrative_check', at: 'registrationCloses' },
  { phase: 'announcement', at: 'announcementAt' },
  { phase: 'skd', at: 'skdAt' },
  { phase: 'skb', at: 'skbAt' },
  { phase: 'final_announcement', at: 'finalAnnouncementAt' },
  { phase: 'closed', at: 'drhDeadline' },
];
/** Every instant HR may extend, in schedule order (the phase starts and the reviewers' deadline). Validator-only: no command depends on it. */
const DEADLINE_KEYS: readonly (keyof RoundSchedule)[] = SCHEDULE_KEYS;

const nowIso = (): string => new Date(Date.now()).toISOString();

const keyBase = (j: RoundJob): string =>
  j.kind === 'import'
    ? j.correction
      ? `${j.exam}-correction-${j.importId}`
      : j.exam
    : j.kind === 'rank'
      ? j.ranking === 'skb_selection'
        ? 'skb-selection'
        : 'final'
      : `schedule-${j.seq}`;

/** The configuration with the adopted criteria of each formation named. */
function withCriteria(config: RoundConfig, req: AdoptCriteriaInput): RoundConfig {
  const byId = new Map(req.formations.map((f) => [f.formationId, f.scoring]));
  return {
    ...config,
    formations: config.formations.map((f) =>
      byId.has(f.formationId) ? { ...f, scoring: byId.get(f.formationId)! } : f,
    ),
  };
}

/**
 * One recruitment round, id `round/<roundId>`. Holds the frozen configuration, moves through the
 * phases on durable timers (HR may move a deadline forward before it passes), and records each
 * phase change. Its history grows with phases, never with the number of candidates.
 */
export async function recruitmentRound(input: RoundInput): Promise<RoundState> {
  let config: RoundConfig = input.config;
  const schedule: RoundSchedule = { ...config.schedule };
  const phases: PhaseChange[] = [];
  const deadlineChanges: DeadlineChange[] = [];
  let phase: RoundPhase = 'draft';
  let scheduleVersion = 0;
  let cancelled: { actor: string; reason: string } | undefined;
  let changingDeadline = false;
  /** Extensions accepted by the validator, their write possibly still in flight. */
  const accepted: Partial<Record<keyof RoundSchedule, string>> = {};
  let criteriaVersion = 1;
  let criteriaAdopted = false;
  const jobs: JobRecord[] = [];
  const queue: { record: JobRecord; phaseKey: string }[] = [];
  let finished = false;
  /** The phase start the main routine is waiting for, and the one HR advanced (simulation only). */
  let waiting: (typeof PHASE_STARTS)[number] | undefined;
  let advanced: RoundPhase | undefined;
  let advancing = false;
  /** Phases recorded in PostgreSQL (an advance answers once its phase is). */
  let recorded: RoundPhase = 'draft';

  const phaseIn = (...allowed: RoundPhase[]): boolean => allowed.includes(phase);
  const doneJob = (pred: (j: RoundJob) => boolean): boolean => jobs.some((j) => j.finishedAt !== null && pred(j.job));
  const enqueue = (job: RoundJob, base: string): JobRecord => {
    const n = jobs.filter((j) => keyBase(j.job) === base).length;
    const record: JobRecord = { job, requestedAt: nowIso(), finishedAt: null, signalled: null, skipped: null };
    jobs.push(record);
    queue.push({ record, phaseKey: n === 0 ? base : `${base}-${n + 1}` });
    return record;
  };

  const state = (): RoundState => ({
    roundId: config.roundId,
    name: config.name,
    agency: config.agency,
    budgetYear: config.budgetYear,
    phase,
    phases,
    schedule,
    deadlineChanges,
    formations: config.formations.map((f) => ({
      formationId: f.formationId,
      unit: f.unit,
      jabatan: f.jabatan,
      quota: f.quota,
      category: f.category,
    })),
    criteriaVersion,
    criteriaAdopted,
    jobs,
  });

  setHandler(roundStateQuery, state);
  setHandler(cancelRoundSignal, (c) => {
    cancelled = c;
  });
  setHandler(
    extendDeadlineUpdate,
    async (req: ExtendDeadlineInput) => {
      const change: DeadlineChange = {
        key: req.key,
        from: schedule[req.key] as string,
        to: req.to,
        actor: req.actor,
        reason: req.reason,
        at: nowIso(),
      };
      // Written first; the schedule changes once it is recorded. A phase timer that fires while
      // the write is in flight still honours the accepted instant (waitForDeadline reads it).
      changingDeadline = true;
      accepted[req.key] = req.to;
      try {
        await db.recordDeadlineChange({ roundId: config.roundId, change, seq: deadlineChanges.length + 1 });
      } catch (err) {
        delete accepted[req.key];
        throw err;
      } finally {
        changingDeadline = false;
      }
      schedule[req.key] = req.to as never;
      config = { ...config, schedule: { ...schedule } };
      scheduleVersion += 1;
      deadlineChanges.push(change);
      const key = req.key as (typeof CANDIDATE_DEADLINES)[number];
      if (CANDIDATE_DEADLINES.includes(key))
        enqueue(
          { kind: 'schedule', key, to: req.to, seq: deadlineChanges.length },
          `schedule-${deadlineChanges.length}`,
        );
      return state();
    },
    {
      validator: (req: ExtendDeadlineInput) => {
        if (changingDeadline || advancing)
          reject('INVALID_DEADLINE', 'Perubahan tenggat lain sedang dicatat; ulangi sebentar lagi');
        if (!DEADLINE_KEYS.includes(req.key)) reject('INVALID_DEADLINE', `Tenggat ${String(req.key)} tidak dikenal`);
        const current = instantMs(schedule[req.key] as string);
        const next = instantMs(req.to);
        if (Number.isNaN(next))
          reject('INVALID_DEADLINE', 'Tenggat baru harus tanggal-waktu ISO 8601 dengan zona waktu');
        if (current <= Date.now()) reject('DEADLINE_PASSED', `Tenggat ${req.key} sudah lewat`);
        // The clock can lag right after a worker restart; a phase already begun is the surer sign.
        const starts = PHASE_STARTS.find((p) => p.at === req.key)?.phase;
        if (starts && phases.some((p) => p.phase === starts))
          reject('DEADLINE_PASSED', `Tenggat ${req.key} sudah lewat`);
        if (next <= current) reject('INVALID_DEADLINE', 'Tenggat hanya dapat dimundurkan (diperpanjang)');
        const following = DEADLINE_KEYS[DEADLINE_KEYS.indexOf(req.key) + 1];
        if (following && next > instantMs(schedule[following] as string))
          reject('INVALID_DEADLINE', `Tenggat baru harus tetap sebelum ${following}`);
        if (!req.reason?.trim()) reject('INVALID_DEADLINE', 'Alasan perpanjangan wajib diisi');
      },
    },
  );

  // Simulation rounds only (issue 20): the phase waited for begins now, once the driver's work
  // before it is done, instead of racing its timer. Its instant (and any earlier one still later)
  // becomes now in the record, and the candidates' copies of it are moved by a notice job, so
  // their own waits on it end too. Answers once the new phase is recorded.
  setHandler(
    advancePhaseUpdate,
    async (req: AdvancePhaseInput) => {
      const step = waiting!;
      advancing = true;
      const at = nowIso();
      const upto = SCHEDULE_KEYS.indexOf(step.at as (typeof SCHEDULE_KEYS)[number]);
      const moved = SCHEDULE_KEYS.filter((k, i) => i <= upto && instantMs(schedule[k] as string) > instantMs(at)).map(
        (key) => ({ key, from: schedule[key] as string }),
      );
      try {
        await db.recordPhaseAdvance({ roundId: config.roundId, to: step.phase, moved, ...req, at });
      } finally {
        advancing = false;
      }
      for (const m of moved) {
        schedule[m.key] = at as never;
        delete accepted[m.key];
        const key = m.key as (typeof CANDIDATE_DEADLINES)[number];
        // Numbered as the next deadline change: enqueue keeps the candidates' phase keys unique.
        // (The announcement's instant matters to candidates only for the administrasi sanggah.)
        const read = key !== 'announcementAt' || config.sanggahStages.includes('administrasi');
        if (CANDIDATE_DEADLINES.includes(key) && read)
          enqueue(
            { kind: 'schedule', key, to: at, seq: deadlineChanges.length + 1 },
            `schedule-${deadlineChanges.length + 1}`,
          );
      }
      config = { ...config, schedule: { ...schedule } };
      scheduleVersion += 1;
      advanced = step.phase;
      await condition(() => recorded === step.phase);
      return state();
    },
    {
      validator: (req: AdvancePhaseInput) => {
        if (!config.simulation) reject('NOT_SIMULATION', 'Tahap hanya dapat dimajukan pada seleksi simulasi');
        if (req.from !== phase) reject('WRONG_PHASE', `Tahap sekarang ${phase}, bukan ${req.from}`);
        if (!waiting || advancing || advanced === waiting.phase || changingDeadline)
          reject('WRONG_PHASE', `Tahap ${phase} tidak sedang menunggu jadwalnya; ulangi sebentar lagi`);
        if (!req.reason?.trim()) reject('INVALID_DECISION', 'Alasan memajukan tahap wajib diisi');
      },
    },
  );

  setHandler(
    applyImportUpdate,
    (req) =>
      enqueue(
        { kind: 'import', importId: req.importId, exam: req.exam, correction: req.correction, actor: req.actor },
        req.correction ? `${req.exam}-correction-${req.importId}` : req.exam,
      ),
    {
      validator: (req) => {
        if (req.exam === 'skd' && !phaseIn('skd', 'skb'))
          reject('WRONG_PHASE', `Nilai SKD hanya dapat diimpor pada tahap SKD (sekarang: ${phase})`);
        if (req.exam === 'skb' && !phaseIn('skb', 'final_announcement'))
          reject('WRONG_PHASE', `Nilai SKB hanya dapat diimpor pada tahap SKB (sekarang: ${phase})`);
      },
    },
  );
  setHandler(
    rankUpdate,
    (req) =>
      enqueue(
        { kind: 'rank', ranking: req.ranking, actor: req.actor },
        req.ranking === 'skb_selection' ? 'skb-selection' : 'final',
      ),
    {
      validator: (req) => {
        if (req.ranking === 'skb_selection') {
          if (!phaseIn('skd', 'skb'))
            reject('WRONG_PHASE', `Penetapan peserta SKB hanya pada tahap SKD/SKB (sekarang: ${phase})`);
          if (!jobs.some((j) => j.job.kind === 'import' && j.job.exam === 'skd'))
            reject('WRONG_PHASE', 'Nilai SKD belum diimpor');
        } else {
          if (!phaseIn('skb', 'final_announcement'))
            reject('WRONG_PHASE', `Pemeringkatan akhir hanya pada tahap SKB/pengumuman akhir (sekarang: ${phase})`);
          if (!jobs.some((j) => j.job.kind === 'import' && j.job.exam === 'skb'))
            reject('WRONG_PHASE', 'Nilai SKB belum diimpor');
          if (!doneJob((j) => j.kind === 'rank' && j.ranking === 'skb_selection'))
            reject('WRONG_PHASE', 'Peserta SKB belum ditetapkan');
        }
      },
    },
  );
  setHandler(
    adoptCriteriaUpdate,
    async (req: AdoptCriteriaInput) => {
      await adopt(req, false);
      return state();
    },
    {
      validator: (req: AdoptCriteriaInput) => {
        if (phase !== 'criteria_adoption')
          reject(
            'WRONG_PHASE',
            `Kriteria ditetapkan setelah konsultasi publik dan sebelum pendaftaran (sekarang: ${phase})`,
          );
        if (!req.response?.trim() || req.response.length > 4000)
          reject('INVALID_DECISION', 'Tanggapan atas masukan publik wajib diisi (≤ 4000 karakter)');
        const errors = validateRoundConfig(withCriteria(config, req));
        if (errors.length) reject('INVALID_DECISION', errors.map((e) => `${e.field}: ${e.message}`).join('; '));
      },
    },
  );

  const adopt = async (req: AdoptCriteriaInput, automatic: boolean): Promise<void> => {
    criteriaVersion += 1;
    criteriaAdopted = true;
    config = withCriteria(config, req);
    await ops.adoptCriteria({
      roundId: config.roundId,
      version: criteriaVersion,
      input: req,
      config,
      automatic,
      at: nowIso(),
    });
  };

  // The chain's head, signed, into this history (outside PostgreSQL): at each phase change, after
  // each ranking (what the announcements publish) and when the round closes. A number per round
  // that grows with phases and HR's rankings, never with the number of candidates.
  const anchor = async (): Promise<void> => {
    if (patched(AUDIT_ANCHOR_PATCH)) await audit.anchorAuditHead({ scope: 'round', id: config.roundId });
  };

  // Jobs (imports, rankings, deadline notices) run one at a time beside the phase timers.
  const runJobs = async (): Promise<void> => {
    for (;;) {
      await condition(() => queue.length > 0 || finished);
      const next = queue.shift();
      if (!next) return;
      const { record, phaseKey } = next;
      if (record.job.kind === 'rank') {
        await ops.runRanking({
          roundId: config.roundId,
          config,
          ranking: record.job.ranking,
          version: jobs.indexOf(record) + 1,
          actor: record.job.actor,
          at: nowIso(),
        });
      }
      const r = await ops.notifyCandidates({
        roundId: config.roundId,
        job: record.job,
        phaseKey,
        seq: jobs.indexOf(record) + 1,
        requestedAt: record.requestedAt,
      });
      record.signalled = r.signalled;
      record.skipped = r.skipped;
      record.finishedAt = nowIso();
      // A patch of its own: histories recorded with AUDIT_ANCHOR_PATCH alone have no anchor here.
      if (record.job.kind === 'rank' && patched(AUDIT_ANCHOR_RANKING_PATCH)) await anchor();
    }
  };
  const jobsDone = runJobs();

  await db.recordRound({ config, createdBy: input.createdBy, at: nowIso() });
  log.info('round recorded', { roundId: config.roundId, workflowId: workflowInfo().workflowId });

  for (const step of PHASE_STARTS) {
    waiting = step;
    const over = (): boolean => cancelled !== undefined || advanced === step.phase;
    if (patched(DEADLINE_PATCH)) {
      const due = (): number =>
        Math.max(instantMs(schedule[step.at] as string), accepted[step.at] ? instantMs(accepted[step.at]!) : 0);
      if (!cancelled) await waitForDeadline(due, over);
    } else {
      // Before DEADLINE_PATCH (kept for the rounds already running): decided on the clock.
      for (;;) {
        const due = instantMs(schedule[step.at] as string);
        const wait = due - Date.now();
        if (wait <= 0 || over()) break;
        const seen = scheduleVersion;
        await condition(() => scheduleVersion !== seen || over(), wait);
      }
    }
    waiting = undefined;
    if (cancelled) {
      phase = 'closed';
      await db.recordPhase({
        roundId: config.roundId,
        phase,
        at: nowIso(),
        reason: `dibatalkan oleh ${cancelled.actor}: ${cancelled.reason}`,
      });
      await anchor();
      throw ApplicationFailure.nonRetryable(`round ${config.roundId} cancelled: ${cancelled.reason}`, 'RoundCancelled');
    }
    if (step.phase === 'registration' && !criteriaAdopted) {
      await adopt(
        {
          actor: 'system',
          response:
            'Kriteria rancangan ditetapkan tanpa perubahan (tidak ada penetapan oleh panitia sebelum pendaftaran dibuka)',
          formations: config.formations.map((f) => ({ formationId: f.formationId, scoring: scoringOf(config, f) })),
        },
        true,
      );
    }
    phase = step.phase;
    phases.push({ phase, at: nowIso() });
    await db.recordPhase({ roundId: config.roundId, phase, at: nowIso() });
    recorded = phase;
    await anchor();
  }
  await condition(() => queue.length === 0);
  finished = true;
  await jobsDone;
  await anchor();
  return state();
}
