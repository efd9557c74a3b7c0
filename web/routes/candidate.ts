import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import {
  AGAMA,
  checkEligibility,
  checkNikAgainstDeclared,
  checkSanggahReason,
  DRH_LIMITS,
  GOLONGAN_DARAH,
  HUBUNGAN_ANAK,
  isIsoDate,
  JENIS_KELAMIN,
  JENJANG_PENDIDIKAN,
  maxAgeFor,
  parseNik,
  requiredDocuments,
  SANGGAH_REASON_LIMITS,
  STATUS_PERKAWINAN,
  type DocumentKind,
  type FormationConfig,
  type RoundConfig,
  type RuleViolation,
} from '../../domain';
import { AppError, notFound, toErrorResponse } from '../../api/errors';
import type { ServiceDeps } from '../../api/services/deps';
import { candidateStatusFromDb } from '../../api/services/candidate-read';
import { registrationCard, stageLabel } from '../../api/services/card';
import { applicationOf, storeDocument, submitDocuments } from '../../api/services/documents';
import { loadRoundConfig, register, type RegistrationRequest } from '../../api/services/registrations';
import { fileSanggah, submitDrh, todayWib } from '../../api/services/reviews';
import { findAccountByUser, linkRegistration } from '../../db/accounts';
import type { User } from '../../db/users';
import type { CandidateStatus, Decision } from '../../contracts';
import { kb, tanggal, wib } from '../labels';
import { multipartCsrf } from '../multipart-csrf';
import { NOTICES, renderPage } from '../render';
import { requireCandidate } from '../session';
import { idParam } from './public';

/**
 * The candidate's own pages: the registration form (the API's checks inline while typing, through
 * /daftar/periksa, which runs the same domain rules), the uploads per document kind with a
 * progress bar, the registration card, the status with the timeline and deadlines in WIB, the
 * sanggah (only inside the window) and the DRH. Every rule is the services' and the domain's.
 */
Object.assign(NOTICES, {
  terdaftar: 'Pendaftaran diterima. Unggah setiap dokumen yang diminta, lalu kirim sebelum pendaftaran ditutup.',
  'dokumen-diunggah': 'Berkas diunggah. Kirim dokumen setelah semua berkas lengkap.',
  'dokumen-terkirim':
    'Dokumen terkirim. Anda masih dapat mengganti berkas dan mengirim ulang sampai pendaftaran ditutup.',
  'sanggah-terkirim': 'Sanggah Anda terkirim dan akan dijawab oleh verifikator.',
  'drh-terkirim': 'DRH Anda tersimpan. NIP diusulkan setelah DRH diterima.',
});

const page = { config: { access: 'public' as const }, schema: { hide: true } };

type Body = Record<string, unknown>;
const str = (o: unknown, key: string, max = 500): string => {
  const v = (o as Body | undefined)?.[key];
  return typeof v === 'string' ? v.slice(0, max) : '';
};
/** An id for a form field from its name (`pendidikan[0].jenjang` → `f-pendidikan-0-jenjang`). */
export const fieldId = (name: string): string => `f-${name.replace(/[^A-Za-z0-9]+/g, '-').replace(/-$/, '')}`;

const SEX_LABEL: Record<string, string> = JENIS_KELAMIN.label;
export const OUTCOME_LABEL: Record<string, string> = {
  documents_missing: 'dokumen tidak dikirim sampai pendaftaran ditutup',
  tms: 'tidak memenuhi syarat administrasi',
  skd_failed: 'tidak lulus SKD',
  not_selected_for_skb: 'tidak termasuk peserta SKB',
  tidak_lulus: 'tidak lulus',
  drh_missed: 'DRH tidak diisi sampai batas waktu',
  appointed: 'diangkat',
};
const FINAL_LABEL: Record<string, string> = {
  lulus: 'lulus',
  lulus_optimalisasi: 'lulus melalui optimalisasi',
  tidak_lulus: 'tidak lulus',
};
export const DEADLINE_LABEL: Record<string, string> = {
  documents: 'Batas mengirim dokumen (pendaftaran ditutup)',
  verificationReviewer: 'Batas verifikasi oleh verifikator',
  sanggah: 'Batas mengajukan sanggah',
  sanggahReviewer: 'Batas jawaban sanggah',
  drh: 'Batas mengisi DRH',
};
const NEXT_STEP: Record<string, string> = {
  documents: 'Unggah semua dokumen yang diminta dan kirim sebelum pendaftaran ditutup.',
  verification: 'Dokumen Anda sedang diperiksa verifikator. Hasilnya diumumkan pada pengumuman seleksi administrasi.',
  sanggah: 'Anda dapat mengajukan sanggah satu kali selama masa sanggah.',
  awaiting_skd: 'Anda memenuhi syarat administrasi. Ikuti SKD sesuai jadwal.',
  awaiting_skb_selection: 'Menunggu penetapan peserta SKB.',
  awaiting_skb_score: 'Anda peserta SKB. Ikuti SKB sesuai jadwal.',
  awaiting_final: 'Menunggu pengumuman hasil akhir.',
  appointment: 'Anda lulus. Isi DRH sebelum batasnya; NIP diusulkan setelah itu.',
  appointed: 'Selamat, NIP Anda sudah ditetapkan.',
  ended: 'Proses seleksi Anda sudah selesai.',
};

/** A decision from the candidate's record, in words for the candidate (no reviewer names). */
export function plainDecision(
  d: Decision,
  labels: Record<string, string>,
): { when: string; what: string; why: string | null } {
  const when = wib(d.when);
  const w = d.what;
  let m: RegExpExecArray | null;
  if (w === 'unggah dokumen')
    return {
      when,
      what: 'Anda mengirim dokumen',
      why:
        (d.why ?? '')
          .split(', ')
          .filter(Boolean)
          .map((k) => labels[k] ?? k)
          .join(', ') || null,
    };
  if ((m = /^verifikasi administrasi: (MS|TMS)$/.exec(w))) {
    // The reasons name each document by its kind ("str: …"): shown with the document's label.
    const why = d.why
      ? d.why
          .split('; ')
          .map((r) => r.replace(/^(\w+): /, (all, k: string) => (labels[k] ? `${labels[k]}: ` : all)))
          .join('; ')
      : null;
    return {
      when,
      what:
        m[1] === 'MS'
          ? 'Hasil verifikasi administrasi: Memenuhi Syarat (MS)'
          : 'Hasil verifikasi administrasi: Tidak Memenuhi Syarat (TMS)',
      why,
    };
  }
  if (w.startsWith('eskalasi'))
    return { when, what: 'Pemeriksaan dialihkan ke verifikator lain karena belum diputus tepat waktu', why: null };
  if ((m = /^sanggah (\w+) diajukan$/.exec(w)))
    return { when, what: `Anda mengajukan sanggah (${m[1]})`, why: d.why ?? null };
  if ((m = /^jawab sanggah (\w+): (diterima|ditolak)$/.exec(w)))
    return { when, what: `Sanggah Anda ${m[2]}`, why: d.why ?? null };
  if ((m = /^SKD (memenuhi|tidak memenuhi) nilai ambang batas$/.exec(w)))
    return { when, what: `Nilai SKD Anda ${m[1]} nilai ambang batas`, why: d.why ?? null };
  if (w === 'lolos ke SKB') return { when, what: 'Anda lolos ke SKB', why: d.why ?? null };
  if (w === 'tidak lolos ke SKB') return { when, what: 'Anda tidak termasuk peserta SKB', why: d.why ?? null };
  if ((m = /^hasil akhir: (\w+)$/.exec(w)))
    return { when, what: `Hasil akhir: ${FINAL_LABEL[m[1]!] ?? m[1]}`, why: d.why ?? null };
  if (w === 'DRH diisi') return { when, what: 'Anda mengisi DRH', why: null };
  if ((m = /^NIP ditetapkan (\d+), SK CPNS (.+)$/.exec(w)))
    return { when, what: `NIP Anda ditetapkan: ${m[1]}`, why: `SK CPNS ${m[2]}${d.why ? `, ${d.why}` : ''}` };
  if ((m = /^selesai: (\w+)$/.exec(w)))
    return { when, what: `Proses seleksi selesai: ${OUTCOME_LABEL[m[1]!] ?? m[1]}`, why: null };
  return { when, what: w, why: d.why ?? null };
}

/** The registration form's values → the API's request, with every problem per field (the same rules as the API). */
export function checkRegistrationForm(
  config: RoundConfig,
  f: FormationConfig,
  body: unknown,
): { request: RegistrationRequest; errors: Record<string, string>; warnings: string[] } {
  const values = {
    nik: str(body, 'nik', 64).replace(/\s+/g, ''),
    fullName: str(body, 'fullName', 200).trim(),
    birthDate: str(body, 'birthDate', 10),
    sex: str(body, 'sex', 1),
    email: str(body, 'email', 254).trim(),
    program: str(body, 'program', 200),
    ipk: str(body, 'ipk', 5).trim().replace(',', '.'),
    experienceYears: str(body, 'experienceYears', 3).trim(),
  };
  const errors: Record<string, string> = {};
  const put = (field: string, message: string): void => void (errors[field] ??= message);
  const ipk = Math.round(Number(values.ipk) * 100);
  const request: RegistrationRequest = {
    nik: values.nik,
    fullName: values.fullName,
    birthDate: values.birthDate,
    sex: values.sex === 'P' ? 'P' : 'L',
    email: values.email,
    formationId: f.formationId,
    category: f.category,
    education: { level: f.educationLevel, program: values.program, ipk },
    ...(values.experienceYears ? { experienceYears: Number(values.experienceYears) } : {}),
  };
  const nik = parseNik(values.nik, { referenceYear: Number(config.referenceDate.slice(0, 4)) });
  if (!values.nik) put('nik', 'NIK wajib diisi (16 angka sesuai KTP)');
  else if (!nik.ok) put('nik', nik.errors.map((e) => e.message).join('; '));
  if (!values.fullName) put('fullName', 'Nama lengkap wajib diisi sesuai KTP');
  if (!isIsoDate(values.birthDate)) put('birthDate', 'Tanggal lahir wajib diisi dengan tanggal yang benar');
  if (values.sex !== 'L' && values.sex !== 'P') put('sex', 'Pilih jenis kelamin');
  if (!/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(values.email))
    put('email', 'Tulis alamat e-mail yang benar, misalnya nama@contoh.id');
  if (!values.program) put('program', 'Pilih program studi dari daftar formasi ini');
  if (!/^\d(\.\d{1,2})?$/.test(values.ipk) || ipk < 0 || ipk > 400) put('ipk', 'IPK 0,00–4,00, misalnya 3,45');
  if (values.experienceYears && !/^\d{1,2}$/.test(values.experienceYears))
    put('experienceYears', 'Lama pengalaman kerja dalam tahun (angka)');
  const warnings: string[] = [];
  if (isIsoDate(values.birthDate)) {
    const fields: Record<string, string> = {
      birthDate: 'birthDate',
      'education.program': 'program',
      'education.level': 'program',
    };
    for (const r of checkEligibility({
      birthDate: values.birthDate,
      education: request.education,
      formation: f,
      referenceDate: config.referenceDate,
      limits: config.ageLimits,
    })) {
      if (r.code === 'EDUCATION_PROGRAM' && !values.program) continue;
      put(fields[r.field ?? ''] ?? 'program', r.message);
    }
    if (nik.ok && (values.sex === 'L' || values.sex === 'P'))
      warnings.push(
        ...checkNikAgainstDeclared(nik.value, { birthDate: values.birthDate, sex: values.sex }).map((w) => w.message),
      );
  }
  return { request, errors, warnings };
}

/** A refusal a form shows (4xx: the services' and the workflow validators' codes), or undefined for a fault. */
const refusal = (err: unknown): { status: number; message: string; details: unknown } | undefined => {
  const { status, body } = toErrorResponse(err);
  const e = body.error as { message: string; details?: unknown };
  return status < 500 ? { status, message: e.message, details: e.details } : undefined;
};

/** Violations of a service (AppError details) → field → message, for a form. */
const fieldErrors = (details: unknown, map: (field: string) => string = (f) => f): Record<string, string> => {
  const out: Record<string, string> = {};
  if (Array.isArray(details))
    for (const d of details as RuleViolation[])
      if (d && typeof d === 'object' && d.message) out[map(d.field ?? '_')] ??= d.message;
  return out;
};

/** The DRH form's flat fields (`keluarga.anak[1].nama`) → the nested DRH; rows left wholly empty are dropped. */
export function drhFromForm(body: unknown): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries((body ?? {}) as Body)) {
    if (
      name === '_csrf' ||
      typeof raw !== 'string' ||
      !/^[A-Za-z]+(\[\d{1,2}\])?(\.[A-Za-z]+(\[\d{1,2}\])?)*$/.test(name) ||
      name.length > 80
    )
      continue;
    const parts = name.split('.');
    let node: Record<string, unknown> = root;
    parts.forEach((part, i) => {
      const m = /^(\w+)(?:\[(\d+)\])?$/.exec(part)!;
      const key = m[1]!;
      const last = i === parts.length - 1;
      if (m[2] !== undefined) {
        const list = (node[key] ??= []) as Record<string, unknown>[];
        const idx = Number(m[2]);
        node = list[idx] ??= {};
        if (last) return;
      } else if (last) {
        node[key] = raw.slice(0, 500);
      } else {
        node = (node[key] ??= {}) as Record<string, unknown>;
      }
    });
  }
  const prune = (v: unknown): unknown => {
    if (Array.isArray(v))
      return v
        .filter((r) => r && Object.values(r as Body).some((x) => typeof x === 'string' && x.trim() !== ''))
        .map(prune);
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Body)) if (!(typeof x === 'string' && x.trim() === '')) o[k] = prune(x);
      return o;
    }
    return v;
  };
  const drh = prune(root) as Record<string, unknown>;
  for (const k of ['pendidikan', 'pekerjaan', 'pelatihan', 'organisasi']) drh[k] ??= [];
  const keluarga = (drh.keluarga ??= {}) as Record<string, unknown>;
  keluarga.anak ??= [];
  if (keluarga.pasangan && Object.keys(keluarga.pasangan as object).length === 0) delete keluarga.pasangan;
  drh.pernyataan = drh.pernyataan === 'ya';
  return drh;
}

/** The DRH form's rows: as many as filled plus one empty (at least `min`), within the domain's limit. */
const rowsOf = (v: unknown, min: number, max: number): Record<string, unknown>[] => {
  const filled = Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
  return Array.from({ length: Math.min(max, Math.max(min, filled.length + 1)) }, (_, i) => filled[i] ?? {});
};

const DRH_OPTIONS = {
  jenisKelamin: JENIS_KELAMIN,
  agama: AGAMA,
  statusPerkawinan: STATUS_PERKAWINAN,
  golonganDarah: GOLONGAN_DARAH,
  jenjang: JENJANG_PENDIDIKAN,
  hubungan: HUBUNGAN_ANAK,
};

export const candidateRoutes: FastifyPluginAsync<{ deps: ServiceDeps }> = async (app, { deps }) => {
  registrationRoutes(app, deps);
  statusRoutes(app, deps);
  documentRoutes(app, deps);
  sanggahRoutes(app, deps);
  drhRoutes(app, deps);
};

const formOf = (app: FastifyInstance) => ({ ...page, preHandler: app.csrfProtection });

/** The logged-in candidate's registration, or a page telling them to register first. */
const mine = async (
  deps: ServiceDeps,
  req: FastifyRequest,
): Promise<{ user: User; no: string; config: RoundConfig; formation: FormationConfig; status: CandidateStatus }> => {
  const user = requireCandidate(req);
  if (!user.registrationNo)
    throw new AppError(
      404,
      'NOT_REGISTERED',
      'Anda belum mendaftar ke formasi mana pun. Pilih formasi dari daftar seleksi untuk mendaftar.',
    );
  const { config, formationId } = await applicationOf(deps, user.registrationNo);
  const formation = config.formations.find((f) => f.formationId === formationId);
  if (!formation) throw notFound('Formasi', formationId);
  return {
    user,
    no: user.registrationNo,
    config,
    formation,
    status: await candidateStatusFromDb(deps, user.registrationNo),
  };
};
const labelsOf = (config: RoundConfig): Record<string, string> =>
  Object.fromEntries(Object.entries(config.documentRules).map(([k, r]) => [k, r.label]));
const dayMsOf = (config: RoundConfig): number => config.simulation?.dayMs ?? 86_400_000;
/** The sanggah window now open for this candidate, if any (the read model's deadline, the round's length). */
const sanggahWindow = (
  config: RoundConfig,
  s: CandidateStatus,
  now = Date.now(),
): { opens: number; closes: number; open: boolean } | null => {
  if (s.stage !== 'sanggah' || !s.deadlines.sanggah) return null;
  const closes = Date.parse(s.deadlines.sanggah);
  const opens = closes - config.schedule.sanggahDays * dayMsOf(config);
  return { opens, closes, open: !s.sanggah?.filedAt && now >= opens && now < closes };
};

const formationFor = async (
  deps: ServiceDeps,
  req: FastifyRequest,
): Promise<{ roundId: string; config: RoundConfig; phase: string; formation: FormationConfig }> => {
  const p = req.params as { roundId?: string; formationId?: string };
  const roundId = idParam(p.roundId, 'Seleksi');
  const formationId = idParam(p.formationId, 'Formasi');
  const { config, phase } = await loadRoundConfig(deps, roundId);
  const formation = config.formations.find((f) => f.formationId === formationId);
  if (!formation) throw notFound('Formasi', formationId);
  return { roundId, config, phase, formation };
};
const registerView = (
  req: FastifyRequest,
  reply: Parameters<typeof renderPage>[1],
  ctx: Awaited<ReturnType<typeof formationFor>>,
  values: Record<string, string>,
  errors: Record<string, string>,
  status = 200,
) =>
  renderPage(
    req,
    reply,
    'candidate/register',
    {
      title: 'Formulir pendaftaran',
      crumbs: [
        ['Seleksi', `${req.site.prefix}/`],
        [ctx.config.name, `${req.site.prefix}/seleksi/${encodeURIComponent(ctx.roundId)}`],
        [
          ctx.formation.jabatan,
          `${req.site.prefix}/seleksi/${encodeURIComponent(ctx.roundId)}/formasi/${encodeURIComponent(ctx.formation.formationId)}`,
        ],
      ],
      scripts: ['candidate.js'],
      formation: ctx.formation,
      config: ctx.config,
      open: ctx.phase === 'registration',
      closes: wib(ctx.config.schedule.registrationCloses),
      ageMin: ctx.config.ageLimits.min,
      ageMax: maxAgeFor(ctx.formation, ctx.config.ageLimits),
      referenceDate: tanggal(ctx.config.referenceDate),
      action: `${req.site.prefix}/seleksi/${encodeURIComponent(ctx.roundId)}/formasi/${encodeURIComponent(ctx.formation.formationId)}/daftar`,
      values: { key: randomUUID(), ...values },
      errors,
      fieldId,
    },
    status,
  );

/** The registration form of a formation: the page, its inline checks and the registration. */
function registrationRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const form = formOf(app);
  app.get('/seleksi/:roundId/formasi/:formationId/daftar', page, async (req, reply) => {
    const user = requireCandidate(req);
    if (user.registrationNo) return reply.redirect(`${req.site.prefix}/pendaftaran`, 303);
    const ctx = await formationFor(deps, req);
    const account = await findAccountByUser(deps.db, user.userId);
    return registerView(req, reply, ctx, { nik: account?.nik ?? '', email: account?.email ?? '' }, {});
  });

  // The inline checks: the form's values through the same rules as the API (no state is written).
  app.post('/seleksi/:roundId/formasi/:formationId/daftar/periksa', form, async (req, reply) => {
    requireCandidate(req);
    const ctx = await formationFor(deps, req);
    const { errors, warnings } = checkRegistrationForm(ctx.config, ctx.formation, req.body);
    return reply.header('cache-control', 'no-store').send({ errors, warnings });
  });

  app.post('/seleksi/:roundId/formasi/:formationId/daftar', form, async (req, reply) => {
    const user = requireCandidate(req);
    if (user.registrationNo) return reply.redirect(`${req.site.prefix}/pendaftaran`, 303);
    const ctx = await formationFor(deps, req);
    const values = Object.fromEntries(
      ['nik', 'fullName', 'birthDate', 'sex', 'email', 'program', 'ipk', 'experienceYears', 'key'].map((k) => [
        k,
        str(req.body, k, 254),
      ]),
    );
    const account = await findAccountByUser(deps.db, user.userId);
    if (!account) throw new AppError(403, 'NO_ACCOUNT', 'Pendaftaran lewat portal memerlukan akun pelamar');
    const { request, errors } = checkRegistrationForm(ctx.config, ctx.formation, req.body);
    if (!errors.nik && request.nik !== account.nik) errors.nik = 'NIK harus sama dengan NIK akun Anda';
    if (Object.keys(errors).length) return registerView(req, reply, ctx, values, errors, 422);
    let registrationNo: string;
    try {
      const key = /^[\w-]{8,64}$/.test(values.key ?? '') ? values.key : undefined;
      ({ registrationNo } = await register(
        deps,
        ctx.roundId,
        request,
        key ? { idempotencyKey: `portal:${account.accountId}:${key}` } : {},
      ));
    } catch (err) {
      const r = refusal(err);
      if (!r) throw err;
      const found = fieldErrors(
        r.details,
        (f) => ({ 'education.program': 'program', 'education.level': 'program' })[f] ?? f,
      );
      return registerView(req, reply, ctx, values, Object.keys(found).length ? found : { nik: r.message }, r.status);
    }
    await deps.db.transaction().execute((trx) => linkRegistration(trx, account.accountId, registrationNo));
    return reply.redirect(`${req.site.prefix}/pendaftaran/dokumen?info=terdaftar`, 303);
  });
}

/** The candidate's status page and registration card. */
function statusRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  app.get('/pendaftaran', page, async (req, reply) => {
    const { no, config, formation, status } = await mine(deps, req);
    const labels = labelsOf(config);
    const w = sanggahWindow(config, status);
    return renderPage(req, reply, 'candidate/status', {
      title: 'Status pendaftaran',
      registrationNo: no,
      formation,
      config,
      status,
      stage: stageLabel(status.stage),
      nextStep: NEXT_STEP[status.stage] ?? '',
      outcome: status.outcome ? (OUTCOME_LABEL[status.outcome] ?? status.outcome) : null,
      deadlines: Object.entries(status.deadlines).map(([k, at]) => ({
        label: DEADLINE_LABEL[k] ?? k,
        at: wib(at),
        passed: Date.parse(at) <= Date.now(),
      })),
      timeline: status.decisions.map((d) => plainDecision(d, labels)),
      sanggahOpen: w?.open ?? false,
      sanggahWindow: w && {
        opens: wib(new Date(w.opens).toISOString()),
        closes: wib(new Date(w.closes).toISOString()),
      },
      drhOpen: status.stage === 'appointment' && !status.decisions.some((d) => d.what === 'DRH diisi'),
      finalLabel: status.final ? (FINAL_LABEL[status.final.result] ?? status.final.result) : null,
    });
  });

  app.get('/pendaftaran/kartu.pdf', page, async (req, reply) => {
    const user = requireCandidate(req);
    if (!user.registrationNo) throw new AppError(404, 'NOT_REGISTERED', 'Anda belum mendaftar ke formasi mana pun');
    const pdf = await registrationCard(deps, user.registrationNo);
    return reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="kartu-pendaftaran-${user.registrationNo}.pdf"`)
      .header('cache-control', 'private, no-store')
      .send(pdf);
  });
}

const documentsView = async (
  deps: ServiceDeps,
  req: FastifyRequest,
  reply: Parameters<typeof renderPage>[1],
  errors: Record<string, string> = {},
  status = 200,
) => {
  const { no, config, formation, status: s } = await mine(deps, req);
  const kinds = requiredDocuments(formation, config.requiredDocuments);
  const rows = await deps.db
    .selectFrom('documents')
    .select(['document_id', 'kind', 'size', 'file_type', 'uploaded_at'])
    .where('registration_no', '=', no)
    .orderBy('document_id', 'desc')
    .execute();
  const submitted = new Map(s.documents.map((d) => [d.kind, d.documentId]));
  const open = s.stage === 'documents' && Date.now() < Date.parse(config.schedule.registrationCloses);
  return renderPage(
    req,
    reply,
    'candidate/documents',
    {
      title: 'Dokumen pendaftaran',
      crumbs: [['Status pendaftaran', `${req.site.prefix}/pendaftaran`]],
      scripts: ['candidate.js'],
      registrationNo: no,
      open,
      closes: wib(config.schedule.registrationCloses),
      errors,
      kinds: kinds.map((kind) => {
        const rule = config.documentRules[kind];
        const latest = rows.find((r) => r.kind === kind);
        return {
          kind,
          label: rule.label,
          type: rule.type,
          typeLabel: rule.type === 'jpeg' ? 'JPG/JPEG' : 'PDF',
          accept: rule.type === 'jpeg' ? '.jpg,.jpeg,image/jpeg' : '.pdf,application/pdf',
          maxBytes: rule.maxBytes,
          max: kb(rule.maxBytes),
          latest: latest && {
            size: kb(latest.size),
            at: wib(new Date(latest.uploaded_at).toISOString()),
            submitted: submitted.get(kind) === String(latest.document_id),
          },
        };
      }),
      complete: kinds.every((k) => rows.some((r) => r.kind === k)),
      allSubmitted: kinds.every((k) => {
        const l = rows.find((r) => r.kind === k);
        return l && submitted.get(k) === String(l.document_id);
      }),
    },
    status,
  );
};

/** The documents page: one upload per kind, then submitting them together. */
function documentRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const form = formOf(app);
  const upload = { ...page, preHandler: multipartCsrf(app) };
  app.get('/pendaftaran/dokumen', page, async (req, reply) => documentsView(deps, req, reply));

  // One file (multipart, field "file"); from the page's script (XHR, progress bar, CSRF in a header) or a plain form (CSRF in the query).
  app.post('/pendaftaran/dokumen/:kind', upload, async (req, reply) => {
    const user = requireCandidate(req);
    if (!user.registrationNo) throw new AppError(404, 'NOT_REGISTERED', 'Anda belum mendaftar ke formasi mana pun');
    const kind = (req.params as { kind: string }).kind;
    const { config, formationId } = await applicationOf(deps, user.registrationNo);
    const formation = config.formations.find((f) => f.formationId === formationId)!;
    if (!requiredDocuments(formation, config.requiredDocuments).includes(kind as DocumentKind))
      throw notFound('Jenis dokumen', kind.slice(0, 40));
    const rule = config.documentRules[kind as DocumentKind];
    const wantsJson = String(req.headers.accept ?? '').includes('application/json');
    const fail = async (status: number, message: string) =>
      wantsJson
        ? reply.status(status).send({ error: { code: 'UPLOAD_REFUSED', message } })
        : documentsView(deps, req, reply, { [kind]: message }, status);
    if (!req.isMultipart()) return fail(415, 'Unggah berkas melalui formulir ini');
    const s = await candidateStatusFromDb(deps, user.registrationNo);
    if (s.stage !== 'documents' || Date.now() >= Date.parse(config.schedule.registrationCloses))
      return fail(409, 'Pendaftaran sudah ditutup; berkas tidak dapat diganti lagi');
    const file = await req.file({ limits: { fileSize: rule.maxBytes, files: 1 } });
    if (!file) return fail(400, 'Pilih berkas terlebih dahulu');
    let content: Buffer;
    try {
      content = await file.toBuffer();
    } catch (err) {
      if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE')
        return fail(413, `${rule.label} melebihi ${kb(rule.maxBytes)}`);
      throw err;
    }
    try {
      const stored = await storeDocument(deps, user.registrationNo, kind, content);
      if (wantsJson) return reply.status(201).send({ kind, size: kb(stored.size), at: wib(new Date().toISOString()) });
    } catch (err) {
      const r = refusal(err);
      if (!r) throw err;
      return fail(r.status, r.message);
    }
    return reply.redirect(`${req.site.prefix}/pendaftaran/dokumen?info=dokumen-diunggah`, 303);
  });

  app.post('/pendaftaran/dokumen-kirim', form, async (req, reply) => {
    const { no } = await mine(deps, req);
    const rows = await deps.db
      .selectFrom('documents')
      .select(['document_id', 'kind'])
      .where('registration_no', '=', no)
      .orderBy('document_id', 'desc')
      .execute();
    const latest = [...new Map(rows.reverse().map((r) => [r.kind, String(r.document_id)])).values()];
    try {
      await submitDocuments(deps, no, latest, `portal-docs-${no}-${latest.join('-')}`);
    } catch (err) {
      const r = refusal(err);
      if (!r) throw err;
      return documentsView(deps, req, reply, { kirim: r.message }, r.status);
    }
    return reply.redirect(`${req.site.prefix}/pendaftaran/dokumen?info=dokumen-terkirim`, 303);
  });
}

const sanggahView = async (
  deps: ServiceDeps,
  req: FastifyRequest,
  reply: Parameters<typeof renderPage>[1],
  reason: string,
  errors: Record<string, string>,
  status = 200,
) => {
  const { config, status: s } = await mine(deps, req);
  const w = sanggahWindow(config, s);
  return renderPage(
    req,
    reply,
    'candidate/sanggah',
    {
      title: 'Sanggah',
      crumbs: [['Status pendaftaran', `${req.site.prefix}/pendaftaran`]],
      scripts: ['candidate.js'],
      open: w?.open ?? false,
      window: w && { opens: wib(new Date(w.opens).toISOString()), closes: wib(new Date(w.closes).toISOString()) },
      filed: s.sanggah,
      decision: s.decisions
        .filter(
          (d) =>
            d.what.startsWith('verifikasi administrasi') ||
            d.what.startsWith('SKD') ||
            d.what.startsWith('hasil akhir'),
        )
        .at(-1),
      limits: SANGGAH_REASON_LIMITS,
      reason,
      errors,
    },
    status,
  );
};

/** The sanggah form while its window is open. */
function sanggahRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const form = formOf(app);
  app.get('/pendaftaran/sanggah', page, async (req, reply) => sanggahView(deps, req, reply, '', {}));
  app.post('/pendaftaran/sanggah', form, async (req, reply) => {
    const { no } = await mine(deps, req);
    const reason = str(req.body, 'reason', SANGGAH_REASON_LIMITS.max + 100).replace(/\r\n/g, '\n');
    const invalid = checkSanggahReason(reason);
    if (invalid.length) return sanggahView(deps, req, reply, reason, { reason: invalid[0]!.message }, 422);
    try {
      await fileSanggah(deps, no, reason, `portal-sanggah-${no}`);
    } catch (err) {
      const r = refusal(err);
      if (!r) throw err;
      return sanggahView(deps, req, reply, reason, { reason: r.message }, r.status);
    }
    return reply.redirect(`${req.site.prefix}/pendaftaran?info=sanggah-terkirim`, 303);
  });
}

const drhView = async (
  deps: ServiceDeps,
  req: FastifyRequest,
  reply: Parameters<typeof renderPage>[1],
  values: Record<string, unknown> | undefined,
  errors: Record<string, string>,
  status = 200,
) => {
  const { no, config, status: s } = await mine(deps, req);
  const a = await deps.db
    .selectFrom('applications')
    .select(['full_name', 'birth_date', 'sex', 'education_level', 'education_program'])
    .where('registration_no', '=', no)
    .executeTakeFirstOrThrow();
  const v = values ?? {
    identitas: { namaLengkap: a.full_name, tanggalLahir: a.birth_date, jenisKelamin: a.sex },
    pendidikan: [{ jenjang: a.education_level, programStudi: a.education_program }],
  };
  const k = (v.keluarga ?? {}) as Record<string, unknown>;
  return renderPage(
    req,
    reply,
    'candidate/drh',
    {
      title: 'Daftar riwayat hidup (DRH)',
      crumbs: [['Status pendaftaran', `${req.site.prefix}/pendaftaran`]],
      open: s.stage === 'appointment' && !s.decisions.some((d) => d.what === 'DRH diisi'),
      filed: s.decisions.some((d) => d.what === 'DRH diisi'),
      nip: s.nip,
      deadline: s.deadlines.drh ? wib(s.deadlines.drh) : wib(config.schedule.drhDeadline),
      v,
      rows: {
        pendidikan: rowsOf(v.pendidikan, 2, DRH_LIMITS.rows.pendidikan),
        pekerjaan: rowsOf(v.pekerjaan, 1, DRH_LIMITS.rows.pekerjaan),
        anak: rowsOf(k.anak, 1, DRH_LIMITS.rows.anak),
        pelatihan: rowsOf(v.pelatihan, 1, DRH_LIMITS.rows.pelatihan),
        organisasi: rowsOf(v.organisasi, 1, DRH_LIMITS.rows.organisasi),
      },
      options: DRH_OPTIONS,
      limits: DRH_LIMITS,
      today: todayWib(),
      errors,
      fieldId,
      sexLabel: SEX_LABEL,
    },
    status,
  );
};

/** The DRH form once appointed. */
function drhRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const form = formOf(app);
  app.get('/pendaftaran/drh', page, async (req, reply) => drhView(deps, req, reply, undefined, {}));
  app.post('/pendaftaran/drh', form, async (req, reply) => {
    const { no } = await mine(deps, req);
    const drh = drhFromForm(req.body);
    try {
      await submitDrh(deps, no, drh, `portal-drh-${no}`);
    } catch (err) {
      const r = refusal(err);
      if (!r) throw err;
      const found = fieldErrors(r.details);
      return drhView(deps, req, reply, drh, Object.keys(found).length ? found : { _: r.message }, r.status);
    }
    return reply.redirect(`${req.site.prefix}/pendaftaran?info=drh-terkirim`, 303);
  });
}
