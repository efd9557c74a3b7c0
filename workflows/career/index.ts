import type { CareerInput, CareerStatus } from '../../contracts';
import { installHandlers } from './handlers';
import { newState } from './state';
import {
  annualEvaluation,
  becomePns,
  checkIns,
  closeYear,
  dismissalApproved,
  finish,
  followUpOf,
  officialAppoints,
  openCareer,
  planning,
  probationEnds,
  reEvaluation,
  retire,
  retiresThisYear,
  unmetConditions,
} from './steps';

const DISMISSED = 'rekomendasi pemberhentian disetujui pejabat';

/**
 * A civil servant's career, id `career/<careerId>` (opaque, never the NIP). The first run is the
 * probation: one year from TMT (an extension moves its end), then the CPNS → PNS decision with
 * Latsar passed and health as its conditions. Each later run is one SKP year — expectations,
 * check-ins, the annual evaluation, the unit's distribution rule, follow-up — ending in
 * `continueAsNew` with only the summary. Nothing on the Peraturan BKN 3/2020 ladder happens by
 * itself: each step is a recommendation a named official decides. Retirement age ends it.
 */
export async function career(input: CareerInput): Promise<CareerStatus> {
  const st = newState(input);
  installHandlers(st);
  if (input.summary.status === 'cpns') {
    await openCareer(st);
    await probationEnds(st);
    const unmet = unmetConditions(st);
    if (unmet.length && !(await officialAppoints(st, unmet)))
      return finish(st, 'dismissed', 'diberhentikan sebagai CPNS');
    return becomePns(st);
  }
  if (retiresThisYear(st)) return retire(st);
  if (input.summary.reEvaluationDue) {
    await followUpOf(st, await reEvaluation(st, Date.parse(input.summary.reEvaluationDue)));
    if (dismissalApproved(st)) return finish(st, 'dismissed', DISMISSED);
  }
  await planning(st);
  await checkIns(st);
  const predikat = await annualEvaluation(st);
  await followUpOf(st, predikat);
  if (dismissalApproved(st)) return finish(st, 'dismissed', DISMISSED);
  return closeYear(st, predikat);
}
