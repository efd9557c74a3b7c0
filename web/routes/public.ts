import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { maxAgeFor, passingGroupOf, requiredDocuments } from '../../domain';
import { scoringOf, type FormationConfig, type RoundConfig } from '../../domain/round-config';
import { notFound } from '../../api/errors';
import type { ServiceDeps } from '../../api/services/deps';
import { criteriaVersions } from '../../api/services/consultation';
import { loadRoundConfig } from '../../api/services/registrations';
import { getRoundState, listRounds } from '../../api/services/rounds';
import { ANNOUNCEMENT_PHASES, RESULT_LABEL, announcement } from '../../api/services/announcements';
import { renderPage } from '../render';
import {
  ANNOUNCEMENT_FROM_PHASE,
  ANNOUNCEMENT_LABEL,
  CATEGORY_LABEL,
  PASSING_GROUP_LABEL,
  PHASE_LABEL,
  SCHEDULE_LABEL,
  criterionText,
  kb,
  phaseReached,
  tanggal,
  wib,
} from '../labels';

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Route params of the portal: a malformed id is a 404 page, like an unknown one. */
export function idParam(value: string | undefined, what: string): string {
  if (!value || !ID.test(value)) throw notFound(what, String(value ?? '').slice(0, 64));
  return value;
}

const page = { config: { access: 'public' as const }, schema: { hide: true } };

/** What a formation page shows: every requirement, in words. */
export function formationView(config: RoundConfig, f: FormationConfig) {
  const scoring = scoringOf(config, f);
  const group = passingGroupOf(f.category);
  return {
    ...f,
    categoryLabel: CATEGORY_LABEL[f.category] ?? f.category,
    ageMin: config.ageLimits.min,
    ageMax: maxAgeFor(f, config.ageLimits),
    referenceDate: tanggal(config.referenceDate),
    documents: requiredDocuments(f, config.requiredDocuments).map((kind) => ({
      kind,
      ...config.documentRules[kind],
      typeLabel: config.documentRules[kind].type === 'jpeg' ? 'JPG/JPEG' : 'PDF',
      size: kb(config.documentRules[kind].maxBytes),
    })),
    passingGroup: PASSING_GROUP_LABEL[group] ?? group,
    passingGrade: config.passingGrades[group],
    skdWeight: scoring.skdWeight,
    skbWeight: scoring.skbWeight,
    criteria: scoring.criteria.map(criterionText),
  };
}

export const publicRoutes: FastifyPluginAsync<{ deps: ServiceDeps }> = async (app, { deps }) => {
  app.get('/', page, async (req, reply) => {
    const rounds = (await listRounds(deps)).filter((r) => r.phase !== 'draft');
    const withConfig = await Promise.all(
      rounds.map(async (r) => ({
        ...r,
        phaseLabel: PHASE_LABEL[r.phase] ?? r.phase,
        config: (await loadRoundConfig(deps, r.roundId)).config,
      })),
    );
    return renderPage(req, reply, 'home', {
      title: 'Seleksi ASN yang dibuka',
      open: withConfig.filter((r) => r.phase !== 'closed' && r.phase !== 'cancelled'),
      closed: withConfig.filter((r) => r.phase === 'closed' || r.phase === 'cancelled'),
    });
  });

  app.get('/seleksi/:roundId', page, async (req, reply) => {
    const roundId = idParam((req.params as { roundId?: string }).roundId, 'Seleksi');
    const [state, { config }, versions] = await Promise.all([
      getRoundState(deps, roundId),
      loadRoundConfig(deps, roundId),
      criteriaVersions(deps, roundId),
    ]);
    const schedule = Object.entries(SCHEDULE_LABEL).map(([k, label]) => ({
      label,
      at: wib(String(state.schedule[k as keyof typeof state.schedule])),
    }));
    return renderPage(req, reply, 'round', {
      title: state.name,
      crumbs: [['Seleksi', req.site.prefix + '/']],
      state,
      config,
      phaseLabel: PHASE_LABEL[state.phase] ?? state.phase,
      schedule,
      sanggahDays: config.schedule.sanggahDays,
      adopted: versions.some((v) => v.status === 'adopted'),
      consultationOpen: state.phase === 'consultation',
      announcements: ANNOUNCEMENT_PHASES.filter((p) => phaseReached(state.phase, ANNOUNCEMENT_FROM_PHASE[p]!)).map(
        (p) => ({ phase: p, label: ANNOUNCEMENT_LABEL[p] }),
      ),
      formations: config.formations.map((f) => formationView(config, f)),
    });
  });

  app.get('/seleksi/:roundId/formasi/:formationId', page, async (req, reply) => {
    const p = req.params as { roundId?: string; formationId?: string };
    const roundId = idParam(p.roundId, 'Seleksi');
    const formationId = idParam(p.formationId, 'Formasi');
    const [{ config, phase }, versions] = await Promise.all([
      loadRoundConfig(deps, roundId),
      criteriaVersions(deps, roundId),
    ]);
    const f = config.formations.find((x) => x.formationId === formationId);
    if (!f) throw notFound('Formasi', formationId);
    return renderPage(req, reply, 'formation', {
      title: `${f.jabatan} — ${f.unit}`,
      crumbs: [
        ['Seleksi', req.site.prefix + '/'],
        [config.name, `${req.site.prefix}/seleksi/${encodeURIComponent(roundId)}`],
      ],
      config,
      phase,
      phaseLabel: PHASE_LABEL[phase] ?? phase,
      registrationOpen: phase === 'registration',
      adopted: versions.some((v) => v.status === 'adopted'),
      registrationCloses: wib(config.schedule.registrationCloses),
      f: formationView(config, f),
    });
  });

  app.get('/seleksi/:roundId/pengumuman/:phase', page, (req, reply) => announcementPage(deps, req, reply));
};

/** A published announcement of a round, by formation (404 before its phase). */
async function announcementPage(deps: ServiceDeps, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const p = req.params as { roundId?: string; phase?: string };
  const roundId = idParam(p.roundId, 'Seleksi');
  const phase = String(p.phase ?? '');
  if (!(ANNOUNCEMENT_PHASES as readonly string[]).includes(phase)) throw notFound('Pengumuman', phase.slice(0, 40));
  const { config, phase: roundPhase } = await loadRoundConfig(deps, roundId);
  if (!phaseReached(roundPhase, ANNOUNCEMENT_FROM_PHASE[phase]!))
    throw notFound('Pengumuman', ANNOUNCEMENT_LABEL[phase] ?? phase);
  const a = await announcement(deps, roundId, phase);
  const groups = config.formations
    .map((f) => ({
      formationId: f.formationId,
      jabatan: f.jabatan,
      unit: f.unit,
      rows: a.rows
        .filter((r) => r.formationId === f.formationId)
        .map((r) => ({ ...r, resultLabel: RESULT_LABEL[r.result] ?? r.result })),
    }))
    .filter((g) => g.rows.length);
  return renderPage(req, reply, 'announcement', {
    title: a.title,
    crumbs: [
      ['Seleksi', req.site.prefix + '/'],
      [config.name, `${req.site.prefix}/seleksi/${encodeURIComponent(roundId)}`],
    ],
    roundId,
    phase,
    groups,
    total: a.rows.length,
    printable: `/rounds/${encodeURIComponent(roundId)}/announcements/${phase}/html`,
  });
}
