import type { CandidateInput, CandidateStatus } from '../../contracts';
import { installHandlers } from './handlers';
import { newState } from './state';
import {
  appoint,
  checkAdministrasi,
  collectDocuments,
  end,
  finalResult,
  handlersFinished,
  sitSkb,
  sitSkd,
} from './steps';

/**
 * One application, id `candidate/<registrationNo>`: documents → administrative check (with
 * escalation, never auto-rejection) → announcement and sanggah → SKD → SKB → final result →
 * DRH, NIP and SK. Reviewer decisions and appeals are validated updates; exam outcomes and
 * announcements are signals from the round. Every decision is kept with who, when and why.
 */
export async function candidate(input: CandidateInput): Promise<CandidateStatus> {
  const st = newState(input);
  installHandlers(st);
  const stopped =
    (await collectDocuments(st)) ??
    (await checkAdministrasi(st)) ??
    (await sitSkd(st)) ??
    (await sitSkb(st)) ??
    (await finalResult(st)) ??
    (await appoint(st));
  await handlersFinished();
  return stopped ? end(st, stopped) : st.s;
}
