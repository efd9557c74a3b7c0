import { condition } from '@temporalio/workflow';
import { waitForDeadline } from '../deadline';
import { instantMs, PHASE_RESTS_ON } from '../../domain';
import type { RoundHold, RoundPhase } from '../../contracts';
import { db, local } from './activities';
import { dayMs, nowIso, type Round } from './state';

/**
 * Fair announcements (issue 16): the round does not announce a stage while a decision of that
 * stage is open. What each phase rests on:
 * - `announcement` (the administrasi result): no verification task open, and no candidate still
 *   waiting for one (registration closed, task not yet assigned);
 * - `skd` (the post-sanggah list of SKD participants): every administrasi sanggah window has
 *   ended (the administrasi announcement + sanggahDays, when anyone was TMS) and no
 *   administrasi sanggah is open;
 * - `final_announcement`: the final ranking rests on the SKD results, so every SKD sanggah
 *   window has ended (the SKD results' notification + sanggahDays, when anyone failed SKD and
 *   the round has SKD sanggah) and no SKD sanggah is open.
 *   A final sanggah is opened by the final announcement itself, so it is not waited for.
 * Other phases begin at their instant. The hold is visible in the round's state (`held`) and,
 * once a decision is found open, in its audit chain (`round.held`), from which the API lists
 * the open tasks live.
 */
/** The end of the sanggah windows each phase waits for, when there are any (the decisions: PHASE_RESTS_ON). */
const WINDOWS_END: Partial<Record<RoundPhase, (r: Round) => number | null>> = {
  skd: (r) => sanggahEnd(r, 'administrasi', r.announced.administrasi ?? null),
  final_announcement: (r) => {
    const skd = r.jobs.find((j) => j.job.kind === 'import' && j.job.exam === 'skd' && !j.job.correction);
    return sanggahEnd(r, 'skd', skd?.finishedAt ?? null);
  },
};

function sanggahEnd(r: Round, stage: 'administrasi' | 'skd', opened: string | null): number | null {
  if (!opened || !r.config.sanggahStages.includes(stage)) return null;
  return instantMs(opened) + r.config.schedule.sanggahDays * dayMs(r);
}

/**
 * How often a held phase looks again: after 15 round-minutes, then twice as long each time, up to
 * 6 round-hours (a twelfth of the reviewers' 3-day SLA); at least a second (simulation rounds
 * scale it with their day). A long hold costs a few events per look, a handful of looks a day.
 */
const pollMs = (r: Round, look: number): number =>
  Math.max(1_000, Math.round(Math.min((dayMs(r) / 96) * 2 ** Math.min(look, 10), dayMs(r) / 4)));

/** Holds `phase` back until what it rests on is settled (or the round is cancelled). */
export async function holdUntilFair(r: Round, phase: RoundPhase): Promise<void> {
  const rule = PHASE_RESTS_ON[phase];
  if (!rule) return;
  const since = nowIso();
  const end = WINDOWS_END[phase]?.(r) ?? null;
  const hold = (
    open: Pick<RoundHold, 'openTasks' | 'awaitingAssignment' | 'tasks'>,
    until: number | null,
  ): RoundHold => ({
    phase,
    since,
    until: until === null ? null : new Date(until).toISOString(),
    ...open,
  });
  const roundId = r.config.roundId;
  // Sanggah windows exist only when someone got a decision to appeal; then they all run to their end.
  const windows = end !== null && (await local.appealable({ roundId, stage: rule.stage })) > 0 ? end : null;
  if (windows !== null) {
    r.held = hold({ openTasks: 0, awaitingAssignment: 0, tasks: [] }, windows);
    await waitForDeadline(
      () => windows,
      () => r.cancelled !== undefined,
    );
  }
  for (let look = 0; !r.cancelled; look++) {
    const open = await local.openDecisions({ roundId, kind: rule.kind, stage: rule.stage });
    if (open.openTasks + open.awaitingAssignment === 0) break;
    r.held = hold(open, windows);
    if (look === 0) await db.recordHold({ roundId, hold: r.held });
    await condition(() => r.cancelled !== undefined, pollMs(r, look));
  }
  r.held = null;
}
