import { allHandlersFinished, ApplicationFailure, condition, log, workflowInfo } from '@temporalio/workflow';
import { waitForDeadline } from '../deadline';
import { instantMs, type RoundSchedule, scoringOf } from '../../domain';
import type { AdoptCriteriaInput, RoundPhase, RoundState } from '../../contracts';
import { db, local, ops } from './activities';
import { holdUntilFair } from './fairness';
import { enqueue, nowIso, stateOf, withCriteria, type Round } from './state';

/** The round's row, formations and draft criteria in PostgreSQL: its first step. */
export async function recordRound(r: Round, createdBy: string): Promise<void> {
  await db.recordRound({ config: r.config, createdBy, at: nowIso() });
  log.info('round recorded', { roundId: r.config.roundId, workflowId: workflowInfo().workflowId });
}

/**
 * Waits for the instant of `key` (HR may move it later while the wait runs) or a cancellation.
 * Decided at the deadline only once every handler has finished: an extension accepted just before
 * is in the schedule already (handlers set it before their first await) and gets recorded first.
 */
export async function untilPhaseStart(r: Round, step: { phase: RoundPhase; at: keyof RoundSchedule }): Promise<void> {
  const due = (): number => instantMs(r.config.schedule[step.at] as string);
  const over = (): boolean => r.cancelled !== undefined || r.advanced === step.phase;
  r.waiting = step;
  try {
    for (;;) {
      // Advanced (simulation): its handler answers once the phase is recorded, so only its write is waited for.
      if (await waitForDeadline(due, over)) return void (await r.deadlineWrites.catch(() => undefined));
      const reached = due();
      await condition(allHandlersFinished);
      if (r.cancelled || !(due() > reached)) return;
    }
  } finally {
    r.waiting = undefined;
  }
}

/** A cancelled round closes with the reason in its audit chain; the workflow fails as cancelled. */
export async function closeCancelled(r: Round): Promise<never> {
  const c = r.cancelled!;
  r.phase = 'closed';
  await db.recordPhase({
    roundId: r.config.roundId,
    phase: r.phase,
    at: nowIso(),
    reason: `dibatalkan oleh ${c.actor}: ${c.reason}`,
  });
  await anchor(r);
  throw ApplicationFailure.nonRetryable(`round ${r.config.roundId} cancelled: ${c.reason}`, 'RoundCancelled');
}

/** The criteria as adopted (a new version); set before the write, so the state answers at once. */
export async function adopt(r: Round, req: AdoptCriteriaInput, automatic: boolean): Promise<void> {
  r.criteriaVersion += 1;
  r.criteriaAdopted = true;
  r.config = withCriteria(r.config, req);
  await ops.adoptCriteria({
    roundId: r.config.roundId,
    version: r.criteriaVersion,
    input: req,
    config: r.config,
    automatic,
    at: nowIso(),
  });
}

/** Registration opens on adopted criteria: the draft, unchanged, when HR adopted none. */
export async function adoptDraftIfNone(r: Round): Promise<void> {
  if (r.criteriaAdopted) return;
  await adopt(
    r,
    {
      actor: 'system',
      response:
        'Kriteria rancangan ditetapkan tanpa perubahan (tidak ada penetapan oleh panitia sebelum pendaftaran dibuka)',
      formations: r.config.formations.map((f) => ({ formationId: f.formationId, scoring: scoringOf(r.config, f) })),
    },
    true,
  );
}

/** The announcement each phase makes to the candidates as it begins (contracts roundAnnouncedSignal). */
const ANNOUNCES: Partial<Record<RoundPhase, 'administrasi' | 'skd_participants' | 'final'>> = {
  announcement: 'administrasi',
  skd: 'skd_participants',
  final_announcement: 'final',
};

/**
 * The next phase, once what it rests on is settled (fairness.ts): recorded, anchored, and — for
 * an announcing phase — announced to every candidate with the instant it began.
 */
export async function beginPhase(r: Round, phase: RoundPhase): Promise<void> {
  await holdUntilFair(r, phase);
  if (r.cancelled) return;
  const at = nowIso();
  r.phase = phase;
  r.phases.push({ phase, at });
  await db.recordPhase({ roundId: r.config.roundId, phase, at });
  r.recorded = phase;
  await anchor(r);
  const announcement = ANNOUNCES[phase];
  if (announcement) {
    r.announced[announcement] = at;
    enqueue(r, { kind: 'announcement', announcement, at });
  }
}

/**
 * The chain's head, signed, into this history (outside PostgreSQL): at each phase change, after
 * each ranking (what the announcements publish) and when the round closes. A number per round
 * that grows with phases and HR's rankings, never with the number of candidates.
 */
export async function anchor(r: Round): Promise<void> {
  await local.anchorAuditHead({ scope: 'round', id: r.config.roundId });
}

/** Jobs (imports, rankings, announcements, deadline notices) run one at a time beside the phases. */
export async function runJobs(r: Round): Promise<void> {
  for (;;) {
    await condition(() => r.queue.length > 0 || r.finished);
    const next = r.queue.shift();
    if (!next) return;
    const { record, phaseKey } = next;
    const seq = r.jobs.indexOf(record) + 1;
    if (record.job.kind === 'rank') {
      await ops.runRanking({
        roundId: r.config.roundId,
        config: r.config,
        ranking: record.job.ranking,
        version: seq,
        actor: record.job.actor,
        at: nowIso(),
      });
    }
    const sent = await ops.notifyCandidates({
      roundId: r.config.roundId,
      job: record.job,
      phaseKey,
      seq,
      requestedAt: record.requestedAt,
    });
    record.signalled = sent.signalled;
    record.skipped = sent.skipped;
    record.finishedAt = nowIso();
    if (record.job.kind === 'rank') await anchor(r);
  }
}

/** The last jobs done, the chain anchored once more, every handler finished: the round's result. */
export async function closeRound(r: Round, jobs: Promise<void>): Promise<RoundState> {
  await condition(() => r.queue.length === 0 && allHandlersFinished());
  r.finished = true;
  await jobs;
  await anchor(r);
  await condition(allHandlersFinished);
  return stateOf(r);
}
