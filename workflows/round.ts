import { ApplicationFailure, condition, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { instantMs, type RoundSchedule } from '../domain';
import type { RoundActivities } from '../activities/round';
import {
  cancelRoundSignal,
  extendDeadlineUpdate,
  roundStateQuery,
  type DeadlineChange,
  type ExtendDeadlineInput,
  type PhaseChange,
  type RoundInput,
  type RoundPhase,
  type RoundState,
} from './messages';
import { reject } from './rejections';

const db = proxyActivities<RoundActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: ['RoundConflict'] },
});

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
const DEADLINE_KEYS = PHASE_STARTS.map((p) => p.at);

const nowIso = (): string => new Date(Date.now()).toISOString();

/**
 * One recruitment round, id `round/<roundId>`. Holds the frozen configuration, moves through the
 * phases on durable timers (HR may move a deadline forward before it passes), and records each
 * phase change. Its history grows with phases, never with the number of candidates.
 */
export async function recruitmentRound(input: RoundInput): Promise<RoundState> {
  const { config } = input;
  const schedule: RoundSchedule = { ...config.schedule };
  const phases: PhaseChange[] = [];
  const deadlineChanges: DeadlineChange[] = [];
  let phase: RoundPhase = 'draft';
  let scheduleVersion = 0;
  let cancelled: { actor: string; reason: string } | undefined;

  const state = (): RoundState => ({
    roundId: config.roundId,
    name: config.name,
    agency: config.agency,
    budgetYear: config.budgetYear,
    phase,
    phases,
    schedule,
    deadlineChanges,
    formations: config.formations.map((f) => ({ formationId: f.formationId, unit: f.unit, jabatan: f.jabatan, quota: f.quota, category: f.category })),
  });

  setHandler(roundStateQuery, state);
  setHandler(cancelRoundSignal, (c) => {
    cancelled = c;
  });
  setHandler(
    extendDeadlineUpdate,
    async (req: ExtendDeadlineInput) => {
      const change: DeadlineChange = { key: req.key, from: schedule[req.key] as string, to: req.to, actor: req.actor, reason: req.reason, at: nowIso() };
      schedule[req.key] = req.to as never;
      scheduleVersion += 1;
      deadlineChanges.push(change);
      await db.recordDeadlineChange({ roundId: config.roundId, change, seq: deadlineChanges.length });
      return state();
    },
    {
      validator: (req: ExtendDeadlineInput) => {
        if (!DEADLINE_KEYS.includes(req.key)) reject('INVALID_DEADLINE', `Tenggat ${String(req.key)} tidak dikenal`);
        const current = instantMs(schedule[req.key] as string);
        const next = instantMs(req.to);
        if (Number.isNaN(next)) reject('INVALID_DEADLINE', 'Tenggat baru harus tanggal-waktu ISO 8601 dengan zona waktu');
        if (current <= Date.now()) reject('DEADLINE_PASSED', `Tenggat ${req.key} sudah lewat`);
        if (next <= current) reject('INVALID_DEADLINE', 'Tenggat hanya dapat dimundurkan (diperpanjang)');
        const following = DEADLINE_KEYS[DEADLINE_KEYS.indexOf(req.key) + 1];
        if (following && next > instantMs(schedule[following] as string)) reject('INVALID_DEADLINE', `Tenggat baru harus tetap sebelum ${following}`);
        if (!req.reason?.trim()) reject('INVALID_DEADLINE', 'Alasan perpanjangan wajib diisi');
      },
    },
  );

  await db.recordRound({ config, createdBy: input.createdBy, at: nowIso() });
  log.info('round recorded', { roundId: config.roundId, workflowId: workflowInfo().workflowId });

  for (const step of PHASE_STARTS) {
    for (;;) {
      const due = instantMs(schedule[step.at] as string);
      const wait = due - Date.now();
      if (wait <= 0 || cancelled) break;
      const seen = scheduleVersion;
      await condition(() => scheduleVersion !== seen || cancelled !== undefined, wait);
    }
    if (cancelled) {
      phase = 'closed';
      await db.recordPhase({ roundId: config.roundId, phase, at: nowIso(), reason: `dibatalkan oleh ${cancelled.actor}: ${cancelled.reason}` });
      throw ApplicationFailure.nonRetryable(`round ${config.roundId} cancelled: ${cancelled.reason}`, 'RoundCancelled');
    }
    phase = step.phase;
    phases.push({ phase, at: nowIso() });
    await db.recordPhase({ roundId: config.roundId, phase, at: nowIso() });
  }
  return state();
}
