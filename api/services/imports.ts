import { WorkflowUpdateFailedError } from '@temporalio/client';
import { createHash } from 'node:crypto';
import { appendAuditInTransaction } from '../../db/audit';
import { roundChain } from '../../activities/round';
import { type Category, type RoundConfig, skdOutcome, validateSkdScores, violation, type RuleViolation } from '../../domain';
import { applyImportUpdate, rankUpdate, roundWorkflowId, type JobRecord } from '../../workflows/messages';
import { AppError } from '../errors';
import type { ServiceDeps } from './deps';
import { loadRoundConfig } from './registrations';

const HEADERS = { skd: ['registration_no', 'twk', 'tiu', 'tkp'], skb: ['registration_no', 'skb'] } as const;
const MAX_ROWS = 200_000;

interface ParsedRow {
  line: number;
  registrationNo: string;
  values: Record<string, number | null>;
}

/** Parses the whole file first; every problem is reported with its line number. */
export function parseResultsCsv(exam: 'skd' | 'skb', text: string): { rows: ParsedRow[]; errors: RuleViolation[] } {
  const errors: RuleViolation[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const expected: readonly string[] = HEADERS[exam];
  const optional = exam === 'skb' ? ['interview'] : [];
  if (header.slice(0, expected.length).join(',') !== expected.join(',') || !header.slice(expected.length).every((h) => optional.includes(h))) {
    return { rows: [], errors: [violation('CSV_HEADER', `Baris 1: kepala kolom harus ${[...expected, ...optional.map((o) => `[${o}]`)].join(',')}`, 'line 1', { line: 1 })] };
  }
  if (lines.length - 1 > MAX_ROWS) return { rows: [], errors: [violation('CSV_TOO_MANY_ROWS', `Paling banyak ${MAX_ROWS} baris`, 'file')] };
  const rows: ParsedRow[] = [];
  const seen = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const cells = lines[i]!.split(',').map((c) => c.trim());
    if (cells.length !== header.length) {
      errors.push(violation('CSV_COLUMNS', `Baris ${line}: ${header.length} kolom diharapkan, ada ${cells.length}`, `line ${line}`, { line }));
      continue;
    }
    const registrationNo = cells[0]!;
    if (!/^\d{12}$/.test(registrationNo)) errors.push(violation('CSV_REGISTRATION_NO', `Baris ${line}: nomor pendaftaran "${registrationNo.slice(0, 20)}" tidak valid`, `line ${line}`, { line }));
    const prev = seen.get(registrationNo);
    if (prev !== undefined) errors.push(violation('CSV_DUPLICATE', `Baris ${line}: nomor pendaftaran ${registrationNo} sudah ada di baris ${prev}`, `line ${line}`, { line, firstLine: prev }));
    seen.set(registrationNo, line);
    const values: Record<string, number | null> = {};
    header.slice(1).forEach((h, k) => {
      const c = cells[k + 1]!;
      if (c === '' && optional.includes(h)) values[h] = null;
      else if (!/^\d{1,6}$/.test(c)) {
        errors.push(violation('CSV_NOT_INTEGER', `Baris ${line}: ${h.toUpperCase()} "${c.slice(0, 20)}" bukan bilangan bulat`, `line ${line}`, { line }));
        values[h] = null;
      } else values[h] = Number(c);
    });
    rows.push({ line, registrationNo, values });
  }
  if (rows.length === 0 && errors.length === 0) errors.push(violation('CSV_EMPTY', 'Berkas tidak berisi baris nilai', 'file'));
  return { rows, errors };
}

export interface ImportResult {
  importId: string;
  rows: number;
  alreadyImported: boolean;
  job: JobRecord | null;
}

/**
 * Exam import: validate the whole file (unknown registration numbers, out-of-range scores,
 * duplicates → 422 with line numbers, nothing applied); the same file again is a no-op; a
 * different file for candidates already imported is refused unless marked as a correction
 * (audited). Stored in one transaction, then the round signals the candidates.
 */
export async function importResults(deps: ServiceDeps, roundId: string, exam: 'skd' | 'skb', text: string, actor: string, correction?: { reason: string }): Promise<ImportResult> {
  const { config, phase } = await loadRoundConfig(deps, roundId);
  const allowed = exam === 'skd' ? ['skd', 'skb'] : ['skb', 'final_announcement'];
  if (!allowed.includes(phase)) throw new AppError(409, 'WRONG_PHASE', `Nilai ${exam.toUpperCase()} tidak dapat diimpor pada tahap ${phase}`);
  const sha256 = createHash('sha256').update(text).digest('hex');
  const same = await deps.db.selectFrom('exam_imports').select(['import_id', 'rows']).where('round_id', '=', roundId).where('kind', '=', exam).where('sha256', '=', sha256).executeTakeFirst();
  if (same) {
    // The same file again: re-send it to the round under the same Update id, so an import whose
    // first notification was lost (Temporal down, a timeout) is applied exactly once.
    const job = await deps.client.workflow.getHandle(roundWorkflowId(roundId)).executeUpdate(applyImportUpdate, { args: [{ importId: String(same.import_id), exam, correction: !!correction, actor }], updateId: `import:${same.import_id}` });
    return { importId: String(same.import_id), rows: same.rows, alreadyImported: true, job };
  }

  const { rows, errors } = parseResultsCsv(exam, text);
  if (!errors.some((e) => e.code === 'CSV_HEADER' || e.code === 'CSV_TOO_MANY_ROWS')) errors.push(...(await checkRows(deps, config, exam, rows.filter((r) => /^\d{12}$/.test(r.registrationNo)))));
  const lineOf = (e: RuleViolation): number => Number((e.details as { line?: number } | undefined)?.line ?? 0);
  errors.sort((a, b) => lineOf(a) - lineOf(b));
  if (errors.length) throw new AppError(422, 'IMPORT_INVALID', `Berkas tidak diterapkan: ${errors.length} kesalahan`, errors.slice(0, 1000));

  const existing = await deps.db.selectFrom('exam_scores').select('registration_no').where('kind', '=', exam).where('registration_no', 'in', rows.map((r) => r.registrationNo)).execute();
  if (existing.length && !correction) {
    throw new AppError(409, 'IMPORT_CONFLICT', `${existing.length} peserta sudah memiliki nilai ${exam.toUpperCase()}; tandai sebagai koreksi untuk menggantinya`, { registrationNos: existing.slice(0, 100).map((e) => e.registration_no) });
  }
  const categories = new Map((await deps.db.selectFrom('applications').select(['registration_no', 'category']).where('round_id', '=', roundId).where('registration_no', 'in', rows.map((r) => r.registrationNo)).execute()).map((a) => [a.registration_no, a.category as Category]));
  const importId = await deps.db.transaction().execute(async (trx) => {
    const imp = await trx.insertInto('exam_imports').values({ round_id: roundId, kind: exam, sha256, rows: rows.length, correction: !!correction, reason: correction?.reason ?? null, imported_by: actor }).returning('import_id').executeTakeFirstOrThrow();
    for (let i = 0; i < rows.length; i += 1000) {
      await trx
        .insertInto('exam_scores')
        .values(rows.slice(i, i + 1000).map((r) => {
          const v = r.values;
          const passed = exam === 'skd' ? skdOutcome({ twk: v.twk!, tiu: v.tiu!, tkp: v.tkp! }, categories.get(r.registrationNo)!, config.passingGrades).passed : null;
          return { round_id: roundId, kind: exam, registration_no: r.registrationNo, import_id: imp.import_id, twk: v.twk ?? null, tiu: v.tiu ?? null, tkp: v.tkp ?? null, skb: v.skb ?? null, interview: v.interview ?? null, passed };
        }))
        .onConflict((oc) => oc.columns(['kind', 'registration_no']).doUpdateSet((eb) => ({ import_id: eb.ref('excluded.import_id'), twk: eb.ref('excluded.twk'), tiu: eb.ref('excluded.tiu'), tkp: eb.ref('excluded.tkp'), skb: eb.ref('excluded.skb'), interview: eb.ref('excluded.interview'), passed: eb.ref('excluded.passed') })))
        .execute();
    }
    await appendAuditInTransaction(trx, {
      chain: roundChain(roundId), idempotencyKey: `import:${exam}:${sha256}`, actor, action: correction ? `import.${exam}.correction` : `import.${exam}`, subject: roundId,
      reason: correction?.reason ?? null, payload: { importId: String(imp.import_id), rows: rows.length, sha256 }, occurredAt: new Date().toISOString(),
    });
    return String(imp.import_id);
  });
  let job: JobRecord;
  try {
    job = await deps.client.workflow.getHandle(roundWorkflowId(roundId)).executeUpdate(applyImportUpdate, { args: [{ importId, exam, correction: !!correction, actor }], updateId: `import:${importId}` });
  } catch (err) {
    // Unreachable or too slow to know: keep the import; sending the same file again completes it.
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    // The round refused it: undo, so a corrected file can be sent.
    await deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('exam_scores').where('import_id', '=', importId).execute();
      await trx.deleteFrom('exam_imports').where('import_id', '=', importId).execute();
    }).catch(() => undefined);
    throw err;
  }
  return { importId, rows: rows.length, alreadyImported: false, job };
}

async function checkRows(deps: ServiceDeps, config: RoundConfig, exam: 'skd' | 'skb', rows: ParsedRow[]): Promise<RuleViolation[]> {
  const errors: RuleViolation[] = [];
  const nos = rows.map((r) => r.registrationNo);
  const known = new Map<string, { formationId: string; eligible: boolean }>();
  for (let i = 0; i < nos.length; i += 5000) {
    const chunk = nos.slice(i, i + 5000);
    if (exam === 'skd') {
      const found = await deps.db.selectFrom('applications as a').leftJoin('verifications as v', (j) => j.onRef('v.registration_no', '=', 'a.registration_no').on('v.stage', '=', 'administrasi'))
        .select(['a.registration_no', 'a.formation_id', 'v.result']).where('a.round_id', '=', config.roundId).where('a.registration_no', 'in', chunk).execute();
      for (const f of found) known.set(f.registration_no, { formationId: f.formation_id, eligible: f.result === 'MS' });
    } else {
      const found = await deps.db.selectFrom('applications as a').leftJoin('rankings as r', (j) => j.onRef('r.registration_no', '=', 'a.registration_no').on('r.kind', '=', 'skb_selection'))
        .select(['a.registration_no', 'a.formation_id', 'r.result']).where('a.round_id', '=', config.roundId).where('a.registration_no', 'in', chunk).execute();
      for (const f of found) known.set(f.registration_no, { formationId: f.formation_id, eligible: f.result === 'selected' });
    }
  }
  const formations = new Map(config.formations.map((f) => [f.formationId, f]));
  for (const r of rows) {
    const k = known.get(r.registrationNo);
    const at = `line ${r.line}`;
    if (!k) {
      errors.push(violation('UNKNOWN_REGISTRATION', `Baris ${r.line}: nomor pendaftaran ${r.registrationNo} tidak terdaftar pada seleksi ini`, at, { line: r.line }));
      continue;
    }
    if (!k.eligible) errors.push(violation('NOT_IN_STAGE', `Baris ${r.line}: ${r.registrationNo} ${exam === 'skd' ? 'tidak memenuhi syarat administrasi' : 'bukan peserta SKB'}`, at, { line: r.line }));
    if (exam === 'skd') {
      for (const e of validateSkdScores(r.values as Record<string, number>)) errors.push({ ...e, message: `Baris ${r.line}: ${e.message}`, field: at, details: { ...e.details, line: r.line } });
    } else {
      const f = formations.get(k.formationId)!;
      const skb = r.values.skb;
      if (skb === null || skb === undefined || skb > f.skbMax) errors.push(violation('SKB_SCORE_OUT_OF_RANGE', `Baris ${r.line}: nilai SKB di luar 0–${f.skbMax}`, at, { line: r.line }));
      const interview = f.scoring?.criteria.find((c) => c.kind === 'interview');
      const iv = r.values.interview;
      if (iv !== null && iv !== undefined && (!interview || iv > interview.max)) errors.push(violation('INTERVIEW_OUT_OF_RANGE', `Baris ${r.line}: nilai wawancara ${interview ? `di luar 0–${interview.max}` : 'tidak dipakai formasi ini'}`, at, { line: r.line }));
    }
  }
  return errors;
}

export async function requestRanking(deps: ServiceDeps, roundId: string, ranking: 'skb_selection' | 'final', actor: string, updateId?: string): Promise<JobRecord> {
  await loadRoundConfig(deps, roundId);
  return deps.client.workflow.getHandle(roundWorkflowId(roundId)).executeUpdate(rankUpdate, { args: [{ ranking, actor }], ...(updateId ? { updateId } : {}) });
}
