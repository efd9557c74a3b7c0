import type { FastifyPluginAsync } from 'fastify';
import { notFound } from '../../api/errors';
import { assertCanSeeRegistration } from '../../api/plugins/access';
import { candidateStatusFromDb } from '../../api/services/candidate-read';
import { stageLabel } from '../../api/services/card';
import type { ServiceDeps } from '../../api/services/deps';
import { loadRoundConfig } from '../../api/services/registrations';
import { wib } from '../labels';
import { DEADLINE_LABEL, OUTCOME_LABEL } from './candidate';
import { renderPage } from '../render';
import { requireStaff } from '../staff';

/**
 * A candidate's timeline for staff: the registration's stage and every decision with who, when
 * (WIB) and why, from the read model the candidate's own status page uses (candidate-read.ts).
 * HR and auditors see every registration; a reviewer only those of their tasks.
 */
const REG = /^[A-Za-z0-9-]{1,60}$/;

export const consoleCandidateRoutes: FastifyPluginAsync<{ deps: ServiceDeps }> = async (app, { deps }) => {
  const page = { config: { access: 'public' as const }, schema: { hide: true } };

  app.get('/konsol/pendaftaran/:registrationNo', page, async (req, reply) => {
    await requireStaff(deps.db, req, ['hr', 'reviewer', 'auditor']);
    const no = String((req.params as { registrationNo?: string }).registrationNo ?? '');
    if (!REG.test(no)) throw notFound('Pendaftaran', no.slice(0, 40));
    const status = await candidateStatusFromDb(deps, no);
    await assertCanSeeRegistration(deps, req, no);
    const { config } = await loadRoundConfig(deps, status.roundId);
    const f = config.formations.find((x) => x.formationId === status.formationId);
    return renderPage(req, reply, 'console/candidate', {
      title: `Riwayat pendaftaran ${no}`,
      crumbs: [
        ['Konsol', `${req.site.prefix}/konsol`],
        [config.name, `${req.site.prefix}/konsol/seleksi/${encodeURIComponent(status.roundId)}`],
      ],
      status,
      roundName: config.name,
      formation: f ? `${f.jabatan} — ${f.unit}` : status.formationId,
      stage: stageLabel(status.stage),
      outcome: status.outcome ? (OUTCOME_LABEL[status.outcome] ?? status.outcome) : null,
      deadlines: Object.entries(status.deadlines).map(([k, at]) => [DEADLINE_LABEL[k] ?? k, wib(at)]),
      rows: status.decisions.map((d) => ({ when: wib(d.when), what: d.what, who: d.who, why: d.why ?? '—' })),
    });
  });
};
