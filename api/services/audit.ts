import { availableParallelism } from 'node:os';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { replayInParallel } from '../../config/parallel-replay';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { dataConverter, payloadCodec } from '../../config/codec';
import { type AnchorEvidence, type ChainVerification, verifyChain } from '../../db/audit';
import {
  type AuditCheckpoint,
  type AuditPublicKey,
  auditPublicKeys,
  checkCheckpointSignature,
} from '../../config/audit-signing';
import { ANCHOR_ACTIVITY } from '../../contracts';
import { roundChain } from '../../contracts';
import { careerChain } from '../../contracts';
import type { Db } from '../../db/connection';
import type { Database } from '../../db/schema';
import type { Selectable } from 'kysely';
import {
  finalRanking,
  optimalisasi,
  parseNip,
  qualificationKey,
  type Category,
  type RoundConfig,
  type RuleViolation,
  skbCut,
  skdOutcome,
} from '../../domain';
import { candidateWorkflowId, careerWorkflowId, roundWorkflowId } from '../../contracts';
import { isWorkflowNotFound } from '../../config/temporal-errors';
import { AppError } from '../errors';
import type { ServiceDeps } from './deps';
import { loadRoundConfig } from './registrations';
import { rederiveExamScores } from './exam-proctor';

type History = temporal.api.history.v1.IHistory;

const WORKFLOW_ID = /^(round|candidate|career)\/[A-Za-z0-9._-]{1,64}$/;

export function assertWorkflowId(id: string): void {
  if (!WORKFLOW_ID.test(id))
    throw new AppError(400, 'VALIDATION_FAILED', 'workflowId harus round/<id>, candidate/<no> atau career/<id karier>');
}

export async function exportHistory(deps: ServiceDeps, workflowId: string): Promise<History> {
  assertWorkflowId(workflowId);
  try {
    return await deps.client.workflow.getHandle(workflowId).fetchHistory();
  } catch (err) {
    if (isWorkflowNotFound(err)) throw new AppError(404, 'NOT_FOUND', `Proses ${workflowId} tidak ditemukan`);
    throw err;
  }
}

/** The workflows of a round: the round itself and every candidate (from PostgreSQL). */
/** The round's workflow, its candidates' and the careers of those it appointed (by their opaque id). */
export async function roundWorkflowIds(db: Db, roundId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('applications')
    .select('registration_no')
    .where('round_id', '=', roundId)
    .orderBy('registration_no')
    .execute();
  return [
    roundWorkflowId(roundId),
    ...rows.map((r) => candidateWorkflowId(r.registration_no)),
    ...(await appointedCareers(db, roundId)).map((n) => n.workflowId),
  ];
}

/**
 * The careers a round appointed, by NIP, with the id their workflow runs under (its opaque id; a
 * NIP only for careers started before migration 0010).
 */
async function appointedCareers(db: Db, roundId: string): Promise<{ nip: string; workflowId: string }[]> {
  const rows = await db
    .selectFrom('appointments as p')
    .innerJoin('applications as a', 'a.registration_no', 'p.registration_no')
    .leftJoin('careers as c', 'c.nip', 'p.nip')
    .select(['p.nip', 'p.career_id as appointed_id', 'c.career_id'])
    .where('a.round_id', '=', roundId)
    .where('p.nip', 'is not', null)
    .orderBy('p.nip')
    .execute();
  return rows.map((n) => ({ nip: n.nip!, workflowId: careerWorkflowId(n.appointed_id ?? n.career_id ?? n.nip!) }));
}

/** One NDJSON line per workflow: {"workflowId", "history"}. */
export async function* exportRoundHistories(deps: ServiceDeps, roundId: string): AsyncGenerator<string> {
  await loadRoundConfig(deps, roundId);
  for (const id of await roundWorkflowIds(deps.db, roundId)) {
    const history = await deps.client.workflow
      .getHandle(id)
      .fetchHistory()
      .catch(() => undefined);
    if (history) yield `{"workflowId":${JSON.stringify(id)},"history":${historyToJSON(history)}}\n`;
  }
}

export interface ReplayResult {
  workflowId: string;
  ok: boolean;
  error?: string;
  events: number;
}

export interface ReplayOptions {
  /** Replay in this many worker threads (config/parallel-replay.ts; 0: os.availableParallelism(); never more than the histories); absent: inline. */
  threads?: number;
  /** Stops early (the results so far are returned). */
  signal?: AbortSignal;
}

type Histories = AsyncIterable<{ workflowId: string; history: History }>;

/** Each history's outcome on the bundle: inline (one thread), or spread over worker threads. */
async function* replayOutcomes(
  histories: Histories,
  bundlePath: string,
  threads: number | undefined,
): AsyncGenerator<{ workflowId: string; error?: string }> {
  if (threads !== undefined) {
    yield* replayInParallel(histories, { bundlePath, codec: true, threads });
    return;
  }
  for await (const r of Worker.runReplayHistories(
    { workflowBundle: { codePath: bundlePath }, dataConverter: dataConverter() },
    histories,
  ))
    yield {
      workflowId: r.workflowId,
      ...(r.error ? { error: String((r.error as Error).message ?? r.error).slice(0, 2000) } : {}),
    };
}

/** Replays histories on the current workflow bundle: ok, or the determinism violation and where. */
export async function replayHistories(
  deps: ServiceDeps,
  workflowIds: string[],
  bundlePath: string,
  onProgress?: (done: number, total: number) => void,
  opts: ReplayOptions = {},
): Promise<ReplayResult[]> {
  const out: ReplayResult[] = [];
  const missing: ReplayResult[] = [];
  const sizes = new Map<string, number>();
  const histories = (async function* () {
    for (const id of workflowIds) {
      if (opts.signal?.aborted) return;
      try {
        const history = await deps.client.workflow.getHandle(id).fetchHistory();
        sizes.set(id, history.events?.length ?? 0);
        yield { workflowId: id, history };
      } catch (err) {
        missing.push({
          workflowId: id,
          ok: false,
          error: `history not available: ${(err as Error).message}`,
          events: 0,
        });
      }
    }
  })();
  // No more threads than histories: a single workflow's replay does not start a thread per core.
  const threads =
    opts.threads === undefined
      ? undefined
      : Math.max(1, Math.min(opts.threads > 0 ? opts.threads : availableParallelism(), workflowIds.length));
  for await (const r of replayOutcomes(histories, bundlePath, threads)) {
    out.push({
      workflowId: r.workflowId,
      ok: !r.error,
      ...(r.error ? { error: r.error } : {}),
      events: sizes.get(r.workflowId) ?? 0,
    });
    onProgress?.(out.length + missing.length, workflowIds.length);
    if (opts.signal?.aborted) break;
  }
  return [...out, ...missing];
}

/** The answer of a replay: counts, the failures, every result. */
export function replaySummary(results: ReplayResult[]): {
  total: number;
  ok: number;
  failed: ReplayResult[];
  results: ReplayResult[];
} {
  return {
    total: results.length,
    ok: results.filter((r) => r.ok).length,
    failed: results.filter((r) => !r.ok),
    results,
  };
}

/** Every workflow of the namespace (visibility). */
export async function allWorkflowIds(deps: ServiceDeps, limit = 100_000): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of deps.client.workflow.list({
    query: 'WorkflowType = "candidate" OR WorkflowType = "recruitmentRound" OR WorkflowType = "career"',
  })) {
    ids.push(wf.workflowId);
    if (ids.length >= limit) break;
  }
  return [...new Set(ids)];
}

export interface TimelineEntry {
  waktu: string;
  peristiwa: string;
  oleh: string;
  alasan: string | null;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A payload decoded with the auditor's configured keys (payloads are encrypted in the history); {} when unreadable. */
async function decodedArgs(p: temporal.api.common.v1.IPayloads | null | undefined): Promise<Record<string, unknown>> {
  const first = p?.payloads?.[0];
  if (!first) return {};
  const data = (await payloadCodec().decode([first as Payload]))[0]?.data;
  if (!data) return {};
  try {
    return JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

const eventTime = (e: HistoryEvent): string =>
  new Date(Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6)).toISOString();

const UPDATE_LABEL: Record<string, string> = {
  submitDocuments: 'Pelamar mengirim dokumen',
  verifyDocuments: 'Verifikator memutus hasil administrasi',
  fileSanggah: 'Pelamar mengajukan sanggah',
  answerSanggah: 'Verifikator menjawab sanggah',
  submitDrh: 'Pelamar mengisi DRH',
};
const SIGNAL_LABEL: Record<string, string> = {
  skdResult: 'Nilai SKD diterima',
  skbSelection: 'Penetapan peserta SKB diterima',
  skbScore: 'Nilai SKB diterima',
  finalResult: 'Hasil akhir diterima',
  scheduleChanged: 'Jadwal diubah panitia',
};
const CANDIDATE_UPDATES = new Set(['submitDocuments', 'fileSanggah', 'submitDrh']);

/** Why an Update was made, from its arguments (the decisions, the sanggah, the answer). */
function updateReason(name: string, args: Record<string, unknown>): string | null {
  if (name === 'verifyDocuments')
    return ((args.decisions as { kind: string; result: string; reason?: string }[] | undefined) ?? [])
      .map((d) => `${d.kind}: ${d.result}${d.reason ? ` (${d.reason})` : ''}`)
      .join('; ');
  if (name === 'fileSanggah') return String(args.reason ?? '');
  if (name === 'answerSanggah') return `${args.accepted ? 'diterima' : 'ditolak'}: ${String(args.answer ?? '')}`;
  return null;
}

/** What a signal carried, readable. */
function signalDetail(name: string, args: Record<string, unknown>): string | null {
  if (name === 'skdResult') return JSON.stringify(args.scores ?? {});
  if (name === 'finalResult')
    return `${String(args.result)} (nilai ${String(args.display)}, peringkat ${String(args.rank)})`;
  if (name === 'skbSelection') return args.selected ? 'lolos' : 'tidak lolos';
  return null;
}

/** One history event as a timeline entry, or null for an event that is no decision. */
async function timelineEntry(e: HistoryEvent): Promise<TimelineEntry | null> {
  const waktu = eventTime(e);
  if (e.workflowExecutionStartedEventAttributes)
    return { waktu, peristiwa: 'Pendaftaran diterima; proses seleksi dimulai', oleh: 'pelamar', alasan: null };
  if (e.workflowExecutionUpdateAcceptedEventAttributes) {
    const req = e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest;
    const name = req?.input?.name ?? '';
    const args = await decodedArgs(req?.input?.args);
    const oleh = (args.reviewer as string | undefined) ?? (CANDIDATE_UPDATES.has(name) ? 'pelamar' : 'panitia');
    return {
      waktu,
      peristiwa: UPDATE_LABEL[name] ?? `Pembaruan ${name}`,
      oleh,
      alasan: updateReason(name, args) || null,
    };
  }
  if (e.workflowExecutionSignaledEventAttributes) {
    const name = e.workflowExecutionSignaledEventAttributes.signalName ?? '';
    const args = await decodedArgs(e.workflowExecutionSignaledEventAttributes.input);
    return {
      waktu,
      peristiwa: SIGNAL_LABEL[name] ?? `Sinyal ${name}`,
      oleh: 'panitia (impor/pemeringkatan)',
      alasan: signalDetail(name, args),
    };
  }
  if (e.timerFiredEventAttributes) return { waktu, peristiwa: 'Tenggat waktu tercapai', oleh: 'sistem', alasan: null };
  if (e.workflowExecutionCompletedEventAttributes) {
    const r = await decodedArgs(e.workflowExecutionCompletedEventAttributes.result);
    return {
      waktu,
      peristiwa: `Proses selesai: ${String(r.outcome ?? '')}`,
      oleh: 'sistem',
      alasan: r.nip ? `NIP ${String(r.nip)}` : null,
    };
  }
  return null;
}

/** A candidate's decisions, readable, from the workflow history (plus the tenggat met or missed). */
export async function candidateTimeline(deps: ServiceDeps, registrationNo: string): Promise<TimelineEntry[]> {
  const history = await exportHistory(deps, candidateWorkflowId(registrationNo));
  const out: TimelineEntry[] = [];
  for (const e of history.events ?? []) {
    const entry = await timelineEntry(e);
    if (entry) out.push(entry);
  }
  return out;
}

export interface Difference {
  what: string;
  registrationNo: string | null;
  published: unknown;
  rederived: unknown;
}

type Selected<T extends keyof Database> = Selectable<Database[T]>;
type FinalCandidate = Parameters<typeof finalRanking>[0][number] & { formationId: string };

/** What a round's re-derivation reads: its applications, SKD scores and published rankings. */
interface RederiveInputs {
  config: RoundConfig;
  byNo: Map<string, Selected<'applications'>>;
  registrationNos: string[];
  skd: Selected<'skd_scores'>[];
  formations: Map<string, RoundConfig['formations'][number]>;
}

async function rederiveInputs(db: Db, config: RoundConfig): Promise<RederiveInputs> {
  const apps = await db.selectFrom('applications').selectAll().where('round_id', '=', config.roundId).execute();
  const registrationNos = apps.length ? apps.map((a) => a.registration_no) : [''];
  const skd = await db.selectFrom('skd_scores').selectAll().where('registration_no', 'in', registrationNos).execute();
  return {
    config,
    byNo: new Map(apps.map((a) => [a.registration_no, a])),
    registrationNos,
    skd,
    formations: new Map(config.formations.map((f) => [f.formationId, f])),
  };
}

function rankings(db: Db, roundId: string, kind: 'skb_selection' | 'final') {
  return db.selectFrom('rankings').selectAll().where('round_id', '=', roundId).where('kind', '=', kind).execute();
}

function skdDifferences({ skd, byNo, config }: RederiveInputs): Difference[] {
  return skd.flatMap((s) => {
    const a = byNo.get(s.registration_no)!;
    const o = skdOutcome({ twk: s.twk, tiu: s.tiu, tkp: s.tkp }, a.category as Category, config.passingGrades);
    return o.passed === s.passed
      ? []
      : [{ what: 'SKD lulus/tidak', registrationNo: s.registration_no, published: s.passed, rederived: o.passed }];
  });
}

function skbDifferences({ skd, byNo, config, formations }: RederiveInputs, sel: Selected<'rankings'>[]): Difference[] {
  const diffs: Difference[] = [];
  for (const [formationId, f] of formations) {
    const passed = skd
      .filter((s) => s.passed && byNo.get(s.registration_no)?.formation_id === formationId)
      .map((s) => ({ registrationNo: s.registration_no, skd: { twk: s.twk, tiu: s.tiu, tkp: s.tkp } }));
    const cut = skbCut(passed, f.quota, config.skbCutMultiplier, config.skbTieBreak);
    for (const r of cut.ranked) {
      const pub = sel.find((x) => x.registration_no === r.candidate.registrationNo);
      const want = r.selected ? 'selected' : 'not_selected';
      if (!pub || pub.result !== want || pub.rank !== r.rank)
        diffs.push({
          what: 'Penetapan peserta SKB',
          registrationNo: r.candidate.registrationNo,
          published: pub ? `${pub.result} #${pub.rank}` : null,
          rederived: `${want} #${r.rank}`,
        });
    }
  }
  return diffs;
}

/** The final ranking's candidates, from the published rows and the recorded SKD scores. */
function finalCandidates({ skd, byNo }: RederiveInputs, fin: Selected<'rankings'>[]): FinalCandidate[] {
  const skdByNo = new Map(skd.map((s) => [s.registration_no, s]));
  return fin.map((r) => {
    const s = skdByNo.get(r.registration_no);
    const a = byNo.get(r.registration_no)!;
    return {
      registrationNo: r.registration_no,
      formationId: r.formation_id,
      score: { scaled: Number(r.score_scaled), scale: Number(r.score_scale) },
      skd: { twk: s?.twk ?? r.twk ?? 0, tiu: s?.tiu ?? r.tiu ?? 0, tkp: s?.tkp ?? r.tkp ?? 0 },
      ipk: a.ipk,
      birthDate: a.birth_date,
    };
  });
}

function finalRankDifferences(
  formations: RederiveInputs['formations'],
  fin: Selected<'rankings'>[],
  cands: FinalCandidate[],
): Difference[] {
  const diffs: Difference[] = [];
  for (const [formationId, f] of formations) {
    for (const r of finalRanking(
      cands.filter((c) => c.formationId === formationId),
      f.quota,
    )) {
      const pub = fin.find((x) => x.registration_no === r.candidate.registrationNo)!;
      if (pub.rank !== r.rank)
        diffs.push({
          what: 'Peringkat akhir',
          registrationNo: pub.registration_no,
          published: pub.rank,
          rederived: r.rank,
        });
    }
  }
  return diffs;
}

async function optimalisasiDifferences(
  db: Db,
  { config, formations }: RederiveInputs,
  fin: Selected<'rankings'>[],
  cands: FinalCandidate[],
): Promise<Difference[]> {
  const declines = await db
    .selectFrom('optimalisasi_declines')
    .select(['registration_no', 'formation_id'])
    .where('round_id', '=', config.roundId)
    .execute();
  const placements = optimalisasi(
    config.formations.map((f) => ({
      formationId: f.formationId,
      unit: f.unit,
      jabatan: f.jabatan,
      education: qualificationKey(f),
      quota: f.quota,
    })),
    cands,
    new Set(declines.map((d) => `${d.registration_no}|${d.formation_id}`)),
  );
  const diffs: Difference[] = [];
  for (const pub of fin) {
    const placed = placements.find((p) => p.registrationNo === pub.registration_no);
    const lulusRank = finalRanking(
      cands.filter((c) => c.formationId === pub.formation_id),
      formations.get(pub.formation_id)!.quota,
    ).find((x) => x.candidate.registrationNo === pub.registration_no)!;
    const want = placed ? 'lulus_optimalisasi' : lulusRank.result;
    if (pub.result !== want || (pub.placement_formation_id ?? null) !== (placed?.toFormationId ?? null))
      diffs.push({
        what: 'Hasil akhir/optimalisasi',
        registrationNo: pub.registration_no,
        published: `${pub.result} ${pub.placement_formation_id ?? ''}`.trim(),
        rederived: `${want} ${placed?.toFormationId ?? ''}`.trim(),
      });
  }
  return diffs;
}

/** Every NIP checked against the birth date, sex and TMT it encodes, and for duplicates. */
async function nipDifferences(db: Db, { byNo, registrationNos }: RederiveInputs) {
  const appts = await db
    .selectFrom('appointments')
    .selectAll()
    .where('registration_no', 'in', registrationNos)
    .where('nip', 'is not', null)
    .execute();
  const seen = new Set<string>();
  const diffs: Difference[] = [];
  for (const p of appts) {
    const a = byNo.get(p.registration_no)!;
    const n = parseNip(p.nip!);
    const problems: RuleViolation[] = n.ok ? [] : n.errors;
    if (n.ok && (n.value.birthDate !== a.birth_date || n.value.sex !== a.sex || n.value.tmt !== p.tmt))
      problems.push({ code: 'NIP_MISMATCH', message: 'NIP tidak cocok dengan tanggal lahir, jenis kelamin atau TMT' });
    if (seen.has(p.nip!)) problems.push({ code: 'NIP_DUPLICATE', message: 'NIP ganda' });
    seen.add(p.nip!);
    if (problems.length)
      diffs.push({
        what: 'NIP',
        registrationNo: p.registration_no,
        published: p.nip,
        rederived: problems.map((x) => x.message).join('; '),
      });
  }
  return { checked: appts.length, diffs };
}

/**
 * Re-derives every SKD pass/fail, SKB cut, final rank, optimalisasi placement and NIP of a round
 * from the recorded inputs with the domain functions, and lists every difference.
 */
export async function rederiveRound(
  db: Db,
  config: RoundConfig,
): Promise<{ checked: Record<string, number>; differences: Difference[] }> {
  const inputs = await rederiveInputs(db, config);
  const sel = await rankings(db, config.roundId, 'skb_selection');
  const fin = await rankings(db, config.roundId, 'final');
  const cands = finalCandidates(inputs, fin);
  const diffs = [
    ...skdDifferences(inputs),
    ...skbDifferences(inputs, sel),
    ...finalRankDifferences(inputs.formations, fin, cands),
    ...(await optimalisasiDifferences(db, inputs, fin, cands)),
  ];
  const nip = await nipDifferences(db, inputs);
  diffs.push(...nip.diffs);
  // Online SKD sessions (issue 19): each score re-scored from its answers and bank version's keys.
  const exam = await rederiveExamScores(db, config.roundId);
  for (const d of exam.differences) diffs.push({ what: 'SKD daring', ...d });
  return {
    checked: {
      skd: inputs.skd.length,
      skbSelection: sel.length,
      final: fin.length,
      nip: nip.checked,
      examSessions: exam.checked,
    },
    differences: diffs,
  };
}

/**
 * The anchor's result in one history event: workflows anchor through a local activity, whose
 * result the SDK records in a `core_local_activity` marker beside the activity's type (plain JSON,
 * the result itself through the payload codec).
 */
function anchorResult(e: temporal.api.history.v1.IHistoryEvent): temporal.api.common.v1.IPayload | undefined {
  const m = e.markerRecordedEventAttributes;
  if (m?.markerName !== 'core_local_activity') return undefined;
  const data = m.details?.data?.payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    if (
      (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type !== ANCHOR_ACTIVITY
    )
      return undefined;
  } catch {
    return undefined;
  }
  return m.details?.result?.payloads?.[0] ?? undefined;
}

/** The signed heads a workflow anchored, oldest first, read from its history (every run of it, following continueAsNew back). */
export async function anchoredCheckpoints(
  deps: ServiceDeps,
  workflowId: string,
  maxRuns = 200,
): Promise<{ found: boolean; checkpoints: unknown[] }> {
  const codec = dataConverter().payloadCodecs ?? [];
  const runs: History[] = [];
  let runId: string | undefined;
  for (let i = 0; i < maxRuns; i++) {
    let history: History;
    try {
      history = await deps.client.workflow.getHandle(workflowId, runId).fetchHistory();
    } catch (err) {
      if (isWorkflowNotFound(err)) break;
      throw err;
    }
    runs.unshift(history);
    const prev = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!prev) break;
    runId = prev;
  }
  const out: unknown[] = [];
  for (const history of runs) {
    for (const e of history.events ?? []) {
      const first = anchorResult(e);
      if (!first) continue;
      let payloads = [first as Payload];
      for (const c of [...codec].reverse()) payloads = await c.decode(payloads);
      try {
        out.push(defaultPayloadConverter.fromPayload(payloads[0]!));
      } catch {
        out.push(null); // an undecodable result: reported as a malformed checkpoint
      }
    }
  }
  return { found: runs.length > 0, checkpoints: out };
}

/** The signature check of every anchored head, with the configured public keys. */
function evidenceOf(
  source: string,
  checkpoints: unknown[],
  publicKeys: AuditPublicKey[],
  chain: string,
): AnchorEvidence {
  return {
    source,
    checkpoints: checkpoints.map((c) => {
      const cp = (c && typeof c === 'object' ? c : {}) as AuditCheckpoint;
      const r = checkCheckpointSignature(cp, publicKeys);
      // A malformed head (fields missing) is reported as such, counted against the chain it was read for.
      const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);
      const int = (v: unknown): number => (Number.isInteger(v) ? (v as number) : 0);
      const checkpoint = {
        chain: str(cp.chain, chain),
        seq: int(cp.seq),
        hash: str(cp.hash),
        rows: int(cp.rows),
        signedAt: str(cp.signedAt),
        keyId: str(cp.keyId),
        signature: str(cp.signature),
      };
      return r.valid ? { checkpoint, signatureValid: true } : { checkpoint, signatureValid: false, reason: r.reason };
    }),
  };
}

/** One chain checked against the latest signed head in the history of the workflow that anchored it. */
export async function verifyAnchoredChain(
  deps: ServiceDeps,
  chain: string,
  workflowId: string,
  publicKeys: AuditPublicKey[] = auditPublicKeys(),
): Promise<ChainVerification> {
  const { found, checkpoints } = await anchoredCheckpoints(deps, workflowId);
  return verifyChain(deps.db, chain, evidenceOf(found ? workflowId : '', checkpoints, publicKeys, chain));
}

export interface RoundVerification {
  /** True only when the round's chain and every career chain are intact up to their signed heads. */
  allOk: boolean;
  round: ChainVerification;
  careers: ChainVerification[];
}

/**
 * The round's chain (anchored in the round's history) and every appointed career's chain
 * (anchored in the career's history).
 */
export async function verifyAll(
  deps: ServiceDeps,
  roundId: string,
  publicKeys: AuditPublicKey[] = auditPublicKeys(),
  onProgress?: (done: number, total: number) => void,
): Promise<RoundVerification> {
  await loadRoundConfig(deps, roundId);
  const nips = await appointedCareers(deps.db, roundId);
  const round = await verifyAnchoredChain(deps, roundChain(roundId), roundWorkflowId(roundId), publicKeys);
  onProgress?.(1, nips.length + 1);
  const careers: ChainVerification[] = [];
  for (const n of nips) {
    careers.push(await verifyAnchoredChain(deps, careerChain(n.nip), n.workflowId, publicKeys));
    onProgress?.(careers.length + 1, nips.length + 1);
  }
  return { allOk: round.ok && careers.every((c) => c.ok), round, careers };
}

export interface AnchoredHeadView {
  head: AuditCheckpoint;
  signatureValid: boolean;
  /** Where it was read: the workflow history, or (Temporal unreachable) the listing table. */
  source: 'history' | 'table';
}

/** A career's chain checked against the heads in its workflow's history (found by the NIP); 404 for an unknown career. */
export async function verifyCareerChain(deps: ServiceDeps, nip: string): Promise<ChainVerification> {
  const row =
    (await deps.db.selectFrom('careers').select(['career_id']).where('nip', '=', nip).executeTakeFirst()) ??
    (await deps.db.selectFrom('appointments').select(['career_id']).where('nip', '=', nip).executeTakeFirst());
  if (!row) throw new AppError(404, 'NOT_FOUND', `Karier ${nip} tidak ditemukan`);
  return verifyAnchoredChain(deps, careerChain(nip), careerWorkflowId(row.career_id ?? nip));
}

/** The latest signed head of a chain, for the "Jejak audit" block: from the workflow history, else the listing table; with its signature checked. */
export async function latestAnchoredHead(
  deps: ServiceDeps,
  chain: string,
  workflowId: string,
): Promise<AnchoredHeadView | null> {
  const keys = auditPublicKeys();
  let cps: unknown[] | undefined;
  try {
    cps = (await anchoredCheckpoints(deps, workflowId)).checkpoints;
  } catch {
    cps = undefined; // Temporal unreachable: the page still prints, from the listing table
  }
  let head: AuditCheckpoint | undefined;
  let source: 'history' | 'table' = 'history';
  if (cps)
    head = cps
      .filter((c): c is AuditCheckpoint => !!c && typeof c === 'object' && (c as AuditCheckpoint).chain === chain)
      .at(-1);
  if (!head) {
    const row = await deps.db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .where('chain', '=', chain)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return null;
    head = {
      chain: row.chain,
      seq: row.seq,
      hash: row.hash,
      rows: row.rows,
      signedAt: new Date(row.signed_at).toISOString(),
      keyId: row.key_id,
      signature: row.signature,
    };
    source = 'table';
  }
  return { head, signatureValid: checkCheckpointSignature(head, keys).valid, source };
}
