import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { Insertable, Transaction } from 'kysely';
import { appendAuditInTransaction } from '../../db/audit';
import type { Database } from '../../db/schema';
import { roundChain } from '../../contracts';
import {
  type Category,
  examImportRefusal,
  type RoundConfig,
  skdOutcome,
  validateSkdScores,
  violation,
  type RuleViolation,
} from '../../domain';
import { applyImportUpdate, rankUpdate, roundWorkflowId, type JobRecord } from '../../contracts';
import { isUpdateRefused } from '../../config/temporal-errors';
import { AppError } from '../errors';
import type { ServiceDeps } from './deps';
import { loadRoundConfig } from './registrations';

const HEADERS = { skd: ['registration_no', 'twk', 'tiu', 'tkp'], skb: ['registration_no', 'skb'] } as const;
const MAX_ROWS = 200_000;

/** The media types an exam import accepts. */
export const IMPORT_MEDIA_TYPES = {
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const;
export type ImportFormat = keyof typeof IMPORT_MEDIA_TYPES;

/**
 * The format of an import from its media type (the API's Content-Type, a browser's file type) and,
 * for an upload, its file name: XLSX when either says so, else CSV.
 */
export function importFormatOf(mediaType: string, fileName = ''): ImportFormat {
  const type = mediaType.split(';')[0]!.trim().toLowerCase();
  return type === IMPORT_MEDIA_TYPES.xlsx || /\.xlsx$/i.test(fileName.trim()) ? 'xlsx' : 'csv';
}

interface ParsedRow {
  line: number;
  registrationNo: string;
  values: Record<string, number | null>;
  /** A cell of this row was not a number (already reported): its values are not checked further. */
  unreadable?: boolean;
}

/** A table read from a file: each record's cells (trimmed text) and the line (CSV) or row (XLSX) it starts on. */
interface Table {
  records: { line: number; cells: string[] }[];
  errors: RuleViolation[];
}

/**
 * CSV through csv-parse: the delimiter (comma, or semicolon as Excel writes it in the Indonesian
 * locale) is read from the header line (or an Excel `sep=;` line), quoted fields may hold the
 * delimiter, quotes or line breaks; a UTF-8 BOM and CRLF are accepted. Line numbers are the
 * file's own lines (a record with a quoted line break is numbered by the line it starts on).
 */
function readCsv(input: string | Buffer): Table {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  let offset = bom;
  let firstLine = 1;
  const lineEnd = (from: number): number => {
    const i = buf.indexOf(0x0a, from);
    return i < 0 ? buf.length : i;
  };
  const first = buf.subarray(offset, lineEnd(offset)).toString('utf8').replace(/\r$/, '');
  let delimiter = (first.match(/;/g)?.length ?? 0) > (first.match(/,/g)?.length ?? 0) ? ';' : ',';
  const sep = /^"?sep=(.)"?$/i.exec(first.trim());
  if (sep) {
    delimiter = sep[1]!;
    offset = Math.min(buf.length, lineEnd(offset) + 1);
    firstLine = 2;
  }
  // Where each line starts, to number a record by the line it starts on.
  const newlines: number[] = [];
  for (let i = buf.indexOf(0x0a, offset); i >= 0; i = buf.indexOf(0x0a, i + 1)) newlines.push(i);
  const lineAt = (byte: number): number => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newlines[mid]! < byte) lo = mid + 1;
      else hi = mid;
    }
    return firstLine + lo;
  };
  const body = buf.subarray(offset);
  let parsed: { record: string[]; info: { bytes: number } }[];
  try {
    parsed = parse(body, {
      delimiter,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      max_record_size: 64 * 1024,
    }) as unknown as typeof parsed;
  } catch (err) {
    const e = err as { code?: string; lines?: number; bytes?: number };
    const line = e.bytes !== undefined ? lineAt(offset + e.bytes) : firstLine - 1 + (e.lines ?? 1);
    const what =
      e.code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'tanda kutip tidak ditutup'
        : e.code === 'CSV_INVALID_CLOSING_QUOTE'
          ? 'tanda kutip penutup tidak diikuti pemisah'
          : 'baris tidak dapat dibaca sebagai CSV';
    return { records: [], errors: [atLine('CSV_MALFORMED', line, what)] };
  }
  const records: Table['records'] = [];
  let prevEnd = 0;
  for (const { record, info } of parsed) {
    let start = prevEnd;
    while (start < body.length && (body[start] === 0x0a || body[start] === 0x0d)) start++;
    prevEnd = info.bytes;
    records.push({ line: lineAt(offset + start), cells: record });
  }
  return { records, errors: [] };
}

/** A cell of ExcelJS as the text HR typed: numbers without exponent, formulas by their result. */
function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v).toString() : String(v);
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    if ('richText' in v)
      return v.richText
        .map((r) => r.text)
        .join('')
        .trim();
    if ('result' in v) return cellText((v as { result?: ExcelJS.CellValue }).result ?? null);
    if ('text' in v) return String((v as { text: unknown }).text).trim();
    if ('error' in v) return String((v as { error: unknown }).error);
  }
  return String(v);
}

/** XLSX through ExcelJS: the first worksheet, numbered by its rows. */
async function readXlsx(buf: Buffer): Promise<Table> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
  } catch {
    return {
      records: [],
      errors: [
        violation('XLSX_UNREADABLE', 'Berkas XLSX tidak dapat dibaca (bukan buku kerja Excel .xlsx yang utuh)', 'file'),
      ],
    };
  }
  const ws = wb.worksheets[0];
  if (!ws)
    return { records: [], errors: [violation('XLSX_UNREADABLE', 'Berkas XLSX tidak berisi lembar kerja', 'file')] };
  if (ws.rowCount > MAX_ROWS + 1)
    return { records: [], errors: [violation('CSV_TOO_MANY_ROWS', `Paling banyak ${MAX_ROWS} baris`, 'file')] };
  const records: Table['records'] = [];
  ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    for (let c = 1; c <= row.cellCount; c++) cells.push(cellText(row.getCell(c).value));
    while (cells.length && cells[cells.length - 1] === '') cells.pop();
    if (cells.length) records.push({ line: rowNumber, cells });
  });
  return { records, errors: [] };
}

/**
 * Parses the whole file first (CSV or XLSX); every problem is reported with the line (CSV) or
 * row (XLSX) of the file it is on.
 */
export async function parseResultsFile(
  exam: 'skd' | 'skb',
  body: string | Buffer,
  format: ImportFormat = 'csv',
): Promise<{ rows: ParsedRow[]; errors: RuleViolation[] }> {
  const table = format === 'xlsx' ? await readXlsx(typeof body === 'string' ? Buffer.from(body) : body) : readCsv(body);
  return checkTable(exam, table);
}

/** A problem of one line (CSV) or row (XLSX) of the file, numbered as the file numbers it. */
function atLine(code: string, line: number, message: string, details?: Record<string, unknown>): RuleViolation {
  return violation(code, `Baris ${line}: ${message}`, `line ${line}`, { line, ...details });
}

function checkTable(exam: 'skd' | 'skb', table: Table): { rows: ParsedRow[]; errors: RuleViolation[] } {
  if (table.errors.length) return { rows: [], errors: table.errors };
  const [head, ...records] = table.records;
  const header = (head?.cells ?? []).map((h) => h.trim().toLowerCase());
  const optional = exam === 'skb' ? ['interview'] : [];
  const wrongHeader = headerProblem(exam, header, optional, head?.line ?? 1);
  if (wrongHeader) return { rows: [], errors: [wrongHeader] };
  if (records.length > MAX_ROWS)
    return { rows: [], errors: [violation('CSV_TOO_MANY_ROWS', `Paling banyak ${MAX_ROWS} baris`, 'file')] };
  const errors: RuleViolation[] = [];
  const rows: ParsedRow[] = [];
  const seen = new Map<string, number>();
  for (const record of records) {
    const row = readRecord(record, header, optional, seen, errors);
    if (row) rows.push(row);
  }
  if (rows.length === 0 && errors.length === 0)
    errors.push(violation('CSV_EMPTY', 'Berkas tidak berisi baris nilai', 'file'));
  return { rows, errors };
}

/** CSV_HEADER unless the header is the exam's columns (then its optional ones), else nothing. */
function headerProblem(
  exam: 'skd' | 'skb',
  header: string[],
  optional: string[],
  headerLine: number,
): RuleViolation | null {
  const expected: readonly string[] = HEADERS[exam];
  if (
    header.slice(0, expected.length).join(',') === expected.join(',') &&
    header.slice(expected.length).every((h) => optional.includes(h))
  )
    return null;
  return violation(
    'CSV_HEADER',
    `Baris ${headerLine}: kepala kolom harus ${[...expected, ...optional.map((o) => `[${o}]`)].join(',')} (dipisah koma atau titik koma)`,
    `line ${headerLine}`,
    { line: headerLine },
  );
}

/** One record as a row (its problems added to `errors`); none when its columns do not fit the header. */
function readRecord(
  { line, cells }: Table['records'][number],
  header: string[],
  optional: string[],
  seen: Map<string, number>,
  errors: RuleViolation[],
): ParsedRow | null {
  if (cells.length !== header.length) {
    errors.push(atLine('CSV_COLUMNS', line, `${header.length} kolom diharapkan, ada ${cells.length}`));
    return null;
  }
  const registrationNo = cells[0]!;
  if (!/^\d{12}$/.test(registrationNo))
    errors.push(atLine('CSV_REGISTRATION_NO', line, `nomor pendaftaran "${registrationNo.slice(0, 20)}" tidak valid`));
  const prev = seen.get(registrationNo);
  if (prev !== undefined)
    errors.push(
      atLine('CSV_DUPLICATE', line, `nomor pendaftaran ${registrationNo} sudah ada di baris ${prev}`, {
        firstLine: prev,
      }),
    );
  seen.set(registrationNo, line);
  const values: Record<string, number | null> = {};
  header.slice(1).forEach((h, k) => {
    const c = cells[k + 1]!;
    if (c === '' && optional.includes(h)) values[h] = null;
    else if (!/^\d{1,6}$/.test(c)) {
      errors.push(atLine('CSV_NOT_INTEGER', line, `nilai ${h.toUpperCase()} "${c.slice(0, 20)}" bukan bilangan bulat`));
      values[h] = null;
    } else values[h] = Number(c);
  });
  const unreadable = errors.some((e) => e.details?.line === line && e.code === 'CSV_NOT_INTEGER');
  return { line, registrationNo, values, ...(unreadable ? { unreadable } : {}) };
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
export async function importResults(
  deps: ServiceDeps,
  roundId: string,
  exam: 'skd' | 'skb',
  file: string | Buffer,
  actor: string,
  correction?: { reason: string },
  format: ImportFormat = 'csv',
): Promise<ImportResult> {
  const { config, phase } = await loadRoundConfig(deps, roundId);
  // The same rule as the round's own applyImport validator (domain/round-phases.ts).
  const refusal = examImportRefusal(exam, phase);
  if (refusal) throw new AppError(409, 'WRONG_PHASE', refusal);
  const sha256 = createHash('sha256').update(file).digest('hex');
  const same = await deps.db
    .selectFrom('exam_imports')
    .select(['import_id', 'rows'])
    .where('round_id', '=', roundId)
    .where('kind', '=', exam)
    .where('sha256', '=', sha256)
    .executeTakeFirst();
  const sent = { roundId, exam, correction: !!correction, actor };
  if (same) {
    // The same file again: re-send it to the round under the same Update id, so an import whose
    // first notification was lost (Temporal down, a timeout) is applied exactly once.
    const job = await sendImport(deps, { ...sent, importId: String(same.import_id) });
    return { importId: String(same.import_id), rows: same.rows, alreadyImported: true, job };
  }
  const rows = await validFile(deps, config, exam, file, format);
  await assertNoConflict(deps, exam, rows, !!correction);
  const importId = await storeImport(deps, config, { roundId, exam, rows, sha256, actor, correction });
  let job: JobRecord;
  try {
    job = await sendImport(deps, { ...sent, importId });
  } catch (err) {
    // Unreachable or too slow to know: keep the import; sending the same file again completes it.
    if (!isUpdateRefused(err)) throw err;
    // The round refused it: undo, so a corrected file can be sent.
    await deps.db
      .transaction()
      .execute(async (trx) => {
        await trx.deleteFrom('exam_scores').where('import_id', '=', importId).execute();
        await trx.deleteFrom('exam_imports').where('import_id', '=', importId).execute();
      })
      .catch(() => undefined);
    throw err;
  }
  return { importId, rows: rows.length, alreadyImported: false, job };
}

/** The import to the round's workflow, once per import (its Update id). */
function sendImport(
  deps: ServiceDeps,
  i: { roundId: string; importId: string; exam: 'skd' | 'skb'; correction: boolean; actor: string },
): Promise<JobRecord> {
  return deps.client.workflow.getHandle(roundWorkflowId(i.roundId)).executeUpdate(applyImportUpdate, {
    args: [{ importId: i.importId, exam: i.exam, correction: i.correction, actor: i.actor }],
    updateId: `import:${i.importId}`,
  });
}

/** The file's rows, or 422 IMPORT_INVALID with every problem (by line) and nothing applied. */
async function validFile(
  deps: ServiceDeps,
  config: RoundConfig,
  exam: 'skd' | 'skb',
  file: string | Buffer,
  format: ImportFormat,
): Promise<ParsedRow[]> {
  const { rows, errors } = await parseResultsFile(exam, file, format);
  if (!errors.some((e) => ['CSV_HEADER', 'CSV_TOO_MANY_ROWS', 'CSV_MALFORMED', 'XLSX_UNREADABLE'].includes(e.code)))
    errors.push(
      ...(await checkRows(
        deps,
        config,
        exam,
        rows.filter((r) => /^\d{12}$/.test(r.registrationNo)),
      )),
    );
  const lineOf = (e: RuleViolation): number => Number((e.details as { line?: number } | undefined)?.line ?? 0);
  errors.sort((a, b) => lineOf(a) - lineOf(b));
  if (errors.length)
    throw new AppError(
      422,
      'IMPORT_INVALID',
      `Berkas tidak diterapkan: ${errors.length} kesalahan`,
      errors.slice(0, 1000),
    );
  return rows;
}

/** 409 IMPORT_CONFLICT when candidates of the file already have this exam's score and it is no correction. */
async function assertNoConflict(
  deps: ServiceDeps,
  exam: 'skd' | 'skb',
  rows: ParsedRow[],
  correction: boolean,
): Promise<void> {
  const existing = await deps.db
    .selectFrom('exam_scores')
    .select('registration_no')
    .where('kind', '=', exam)
    .where(
      'registration_no',
      'in',
      rows.map((r) => r.registrationNo),
    )
    .execute();
  if (existing.length && !correction) {
    throw new AppError(
      409,
      'IMPORT_CONFLICT',
      `${existing.length} peserta sudah memiliki nilai ${exam.toUpperCase()}; tandai sebagai koreksi untuk menggantinya`,
      { registrationNos: existing.slice(0, 100).map((e) => e.registration_no) },
    );
  }
}

/** The import, its scores (SKD passed by the candidate's category) and its audit row, in one transaction. */
async function storeImport(
  deps: ServiceDeps,
  config: RoundConfig,
  i: {
    roundId: string;
    exam: 'skd' | 'skb';
    rows: ParsedRow[];
    sha256: string;
    actor: string;
    correction?: { reason: string };
  },
): Promise<string> {
  const { roundId, exam, rows, sha256, correction } = i;
  const categories = new Map(
    (
      await deps.db
        .selectFrom('applications')
        .select(['registration_no', 'category'])
        .where('round_id', '=', roundId)
        .where(
          'registration_no',
          'in',
          rows.map((r) => r.registrationNo),
        )
        .execute()
    ).map((a) => [a.registration_no, a.category as Category]),
  );
  return deps.db.transaction().execute(async (trx) => {
    const imp = await trx
      .insertInto('exam_imports')
      .values({
        round_id: roundId,
        kind: exam,
        sha256,
        rows: rows.length,
        correction: !!correction,
        reason: correction?.reason ?? null,
        imported_by: i.actor,
      })
      .returning('import_id')
      .executeTakeFirstOrThrow();
    const scoreOf = (r: ParsedRow) => ({
      round_id: roundId,
      kind: exam,
      registration_no: r.registrationNo,
      import_id: imp.import_id,
      ...scoreValues(exam, r, categories.get(r.registrationNo)!, config),
    });
    for (let k = 0; k < rows.length; k += 1000) await upsertScores(trx, rows.slice(k, k + 1000).map(scoreOf));
    await appendAuditInTransaction(trx, {
      chain: roundChain(roundId),
      idempotencyKey: `import:${exam}:${sha256}`,
      actor: i.actor,
      action: correction ? `import.${exam}.correction` : `import.${exam}`,
      subject: roundId,
      reason: correction?.reason ?? null,
      payload: { importId: String(imp.import_id), rows: rows.length, sha256 },
      occurredAt: new Date().toISOString(),
    });
    return String(imp.import_id);
  });
}

/** A row's score columns; an SKD score passed or not by the candidate's category. */
function scoreValues(exam: 'skd' | 'skb', r: ParsedRow, category: Category, config: RoundConfig) {
  const v = r.values;
  const passed =
    exam === 'skd'
      ? skdOutcome({ twk: v.twk!, tiu: v.tiu!, tkp: v.tkp! }, category, config.passingGrades).passed
      : null;
  return {
    twk: v.twk ?? null,
    tiu: v.tiu ?? null,
    tkp: v.tkp ?? null,
    skb: v.skb ?? null,
    interview: v.interview ?? null,
    passed,
  };
}

/** Scores in: a correction replaces the candidate's earlier score of the exam. */
async function upsertScores(trx: Transaction<Database>, values: Insertable<Database['exam_scores']>[]): Promise<void> {
  await trx
    .insertInto('exam_scores')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['kind', 'registration_no']).doUpdateSet((eb) => ({
        import_id: eb.ref('excluded.import_id'),
        twk: eb.ref('excluded.twk'),
        tiu: eb.ref('excluded.tiu'),
        tkp: eb.ref('excluded.tkp'),
        skb: eb.ref('excluded.skb'),
        interview: eb.ref('excluded.interview'),
        passed: eb.ref('excluded.passed'),
      })),
    )
    .execute();
}

/** Every file row against the round: registered, in the exam's stage, scores in range. */
async function checkRows(
  deps: ServiceDeps,
  config: RoundConfig,
  exam: 'skd' | 'skb',
  rows: ParsedRow[],
): Promise<RuleViolation[]> {
  const nos = rows.map((r) => r.registrationNo);
  const known = new Map<string, { formationId: string; eligible: boolean }>();
  for (let i = 0; i < nos.length; i += 5000)
    for (const f of await stageOf(deps, config.roundId, exam, nos.slice(i, i + 5000)))
      known.set(f.registration_no, {
        formationId: f.formation_id,
        eligible: f.result === (exam === 'skd' ? 'MS' : 'selected'),
      });
  const formations = new Map(config.formations.map((f) => [f.formationId, f]));
  return rows.flatMap((r) => {
    const k = known.get(r.registrationNo);
    if (!k)
      return [
        atLine(
          'UNKNOWN_REGISTRATION',
          r.line,
          `nomor pendaftaran ${r.registrationNo} tidak terdaftar pada seleksi ini`,
        ),
      ];
    const stage = k.eligible
      ? []
      : [
          atLine(
            'NOT_IN_STAGE',
            r.line,
            `${r.registrationNo} ${exam === 'skd' ? 'tidak memenuhi syarat administrasi' : 'bukan peserta SKB'}`,
          ),
        ];
    if (r.unreadable) return stage;
    return [...stage, ...(exam === 'skd' ? skdProblems(r) : skbProblems(r, formations.get(k.formationId)!))];
  });
}

/** The applications of these numbers in the round, with what admits them to the exam: the administrasi result (SKD) or the SKB selection. */
function stageOf(deps: ServiceDeps, roundId: string, exam: 'skd' | 'skb', nos: string[]) {
  const of = deps.db
    .selectFrom('applications as a')
    .select(['a.registration_no', 'a.formation_id'])
    .where('a.round_id', '=', roundId)
    .where('a.registration_no', 'in', nos);
  return exam === 'skd'
    ? of
        .leftJoin('verifications as v', (j) =>
          j.onRef('v.registration_no', '=', 'a.registration_no').on('v.stage', '=', 'administrasi'),
        )
        .select('v.result')
        .execute()
    : of
        .leftJoin('rankings as r', (j) =>
          j.onRef('r.registration_no', '=', 'a.registration_no').on('r.kind', '=', 'skb_selection'),
        )
        .select('r.result')
        .execute();
}

function skdProblems(r: ParsedRow): RuleViolation[] {
  return validateSkdScores(r.values as Record<string, number>).map((e) => ({
    ...e,
    message: `Baris ${r.line}: ${e.message}`,
    field: `line ${r.line}`,
    details: { ...e.details, line: r.line },
  }));
}

function skbProblems(r: ParsedRow, f: RoundConfig['formations'][number]): RuleViolation[] {
  const errors: RuleViolation[] = [];
  const skb = r.values.skb;
  if (skb === null || skb === undefined || skb > f.skbMax)
    errors.push(atLine('SKB_SCORE_OUT_OF_RANGE', r.line, `nilai SKB di luar 0–${f.skbMax}`));
  const interview = f.scoring?.criteria.find((c) => c.kind === 'interview');
  const iv = r.values.interview;
  if (iv !== null && iv !== undefined && (!interview || iv > interview.max))
    errors.push(
      atLine(
        'INTERVIEW_OUT_OF_RANGE',
        r.line,
        `nilai wawancara ${interview ? `di luar 0–${interview.max}` : 'tidak dipakai formasi ini'}`,
      ),
    );
  return errors;
}

export async function requestRanking(
  deps: ServiceDeps,
  roundId: string,
  ranking: 'skb_selection' | 'final',
  actor: string,
  updateId?: string,
): Promise<JobRecord> {
  await loadRoundConfig(deps, roundId);
  return deps.client.workflow
    .getHandle(roundWorkflowId(roundId))
    .executeUpdate(rankUpdate, { args: [{ ranking, actor }], ...(updateId ? { updateId } : {}) });
}
