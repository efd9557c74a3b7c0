import type { TestWorkflowEnvironment } from '@temporalio/testing';
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDeps } from '../../api/services/deps';
import { createRound } from '../../api/services/rounds';
import type { Db } from '../../db/connection';
import { sampleRound } from '../fixtures';
import { testApp, testUsers } from '../helpers/api';
import { nikFor } from '../helpers/candidates';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

const DAY = 86_400_000;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

let h: Harness;
let env: TestWorkflowEnvironment;
let db: Db;
let deps: ServiceDeps;
let app: FastifyInstance;
let users: Awaited<ReturnType<typeof testUsers>>;
const taskQueue = uniqueTaskQueue('imports');

beforeAll(async () => {
  h = await startHarness(taskQueue, { server: 'dev' });
  ({ env, db, deps } = h);
  app = await testApp(env, db, taskQueue);
  users = await testUsers(db);
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

// The scores every file below carries, in the same order.
const SCORES = [
  [85, 95, 170],
  [60, 80, 150],
  [120, 150, 200],
  [100, 130, 195],
] as const;
let series = 0;

/**
 * A real round workflow in its SKD phase (its schedule lies in the past up to the SKD, so it walks
 * there at once) with candidates who passed the administration check, recorded in PostgreSQL.
 */
async function roundAtSkd(): Promise<{ roundId: string; nos: string[] }> {
  series += 1;
  const roundId = `imp-${series}-${Date.now().toString(36)}`;
  await createRound(deps, sampleRound(roundId, {}, Date.now() - 95 * DAY), 'hr.test');
  await expect
    .poll(
      async () =>
        (await db.selectFrom('rounds').select('phase').where('round_id', '=', roundId).executeTakeFirst())?.phase,
      { timeout: 60_000, interval: 250 },
    )
    .toBe('skd');
  const prefix = `9${String(Date.now() % 10_000_000).padStart(7, '0')}${String(series).padStart(2, '0')}`;
  const nos = SCORES.map((_, i) => `${prefix}${String(i).padStart(2, '0')}`);
  for (const no of nos) {
    await db
      .insertInto('applications')
      .values({
        registration_no: no,
        round_id: roundId,
        formation_id: 'DINKES-PERAWAT',
        budget_year: 2025,
        nik: nikFor('1996-04-12', 'P'),
        full_name: 'Siti Aminah Lubis',
        birth_date: '1996-04-12',
        sex: 'P',
        email: 'siti@example.id',
        category: 'umum',
        education_level: 'S1',
        education_program: 'Keperawatan',
        ipk: 351,
        nik_warnings: '[]',
        stage: 'skd',
        outcome: null,
        registered_at: new Date(),
        updated_at: new Date(),
        idempotency_key_hash: null,
      } as never)
      .execute();
    await db
      .insertInto('verifications')
      .values({
        registration_no: no,
        stage: 'administrasi',
        result: 'MS',
        reviewer: 'verifikator.test',
        decisions: JSON.stringify([]),
        decided_at: new Date(),
      } as never)
      .execute();
  }
  return { roundId, nos };
}

const post = (roundId: string, type: string, payload: string | Buffer) =>
  app.inject({
    method: 'POST',
    url: `/rounds/${roundId}/imports/skd`,
    headers: { ...users.hr.headers, 'content-type': type },
    payload,
  });

async function storedScores(roundId: string): Promise<number[][]> {
  const rows = await db
    .selectFrom('exam_scores')
    .select(['registration_no', 'twk', 'tiu', 'tkp'])
    .where('round_id', '=', roundId)
    .where('kind', '=', 'skd')
    .orderBy('registration_no')
    .execute();
  return rows.map((r) => [r.twk!, r.tiu!, r.tkp!]);
}

async function xlsxOf(rows: (string | number | null)[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('SKD');
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('exam imports: CSV (comma or semicolon, quoted, BOM, CRLF) and XLSX through maintained parsers', () => {
  it('imports the same scores from a plain CSV, an Excel-made semicolon CSV, a quoted comma CSV and an XLSX', async () => {
    const plain = await roundAtSkd();
    const csv = ['registration_no,twk,tiu,tkp', ...plain.nos.map((no, i) => `${no},${SCORES[i]!.join(',')}`)].join(
      '\n',
    );
    const p = await post(plain.roundId, 'text/csv', csv);
    expect(p.statusCode, p.body).toBe(202);
    expect(p.json()).toMatchObject({ rows: 4, alreadyImported: false });
    const expected = await storedScores(plain.roundId);
    expect(expected).toEqual(SCORES.map((s) => [...s]));

    // Excel (id-ID) saves "CSV UTF-8": a BOM, semicolons, CRLF; it quotes a field that holds the
    // delimiter or a quote; a blank line at the end.
    const excel = await roundAtSkd();
    const semi = `\uFEFF"registration_no";twk;tiu;tkp\r\n${excel.nos.map((no, i) => (i === 1 ? `"${no}";"${SCORES[i]![0]}";${SCORES[i]![1]};${SCORES[i]![2]}` : `${no};${SCORES[i]!.join(';')}`)).join('\r\n')}\r\n\r\n`;
    const e = await post(excel.roundId, 'text/csv; charset=utf-8', semi);
    expect(e.statusCode, e.body).toBe(202);
    expect(await storedScores(excel.roundId)).toEqual(expected);

    const quoted = await roundAtSkd();
    const q = await post(
      quoted.roundId,
      'text/csv',
      ['"registration_no","twk","tiu","tkp"', ...quoted.nos.map((no, i) => `"${no}","${SCORES[i]!.join('","')}"`)].join(
        '\n',
      ),
    );
    expect(q.statusCode, q.body).toBe(202);
    expect(await storedScores(quoted.roundId)).toEqual(expected);

    // An XLSX built with the library the API reads it with: numbers as numbers, one registration
    // number typed as a number (Excel drops nothing of 12 digits), one score as a formula.
    const book = await roundAtSkd();
    const x = await post(
      book.roundId,
      XLSX,
      await xlsxOf([
        ['registration_no', 'twk', 'tiu', 'tkp'],
        ...book.nos.map((no, i) => [i === 0 ? Number(no) : no, SCORES[i]![0], SCORES[i]![1], SCORES[i]![2]]),
      ]),
    );
    expect(x.statusCode, x.body).toBe(202);
    expect(await storedScores(book.roundId)).toEqual(expected);
  }, 240_000);

  it('numbers every problem by the line (CSV) or row (XLSX) of the file, all at once, and imports nothing', async () => {
    const r = await roundAtSkd();
    // Line 3 holds a quoted line break (a note), so the broken rows are the file's lines 5 and 7.
    const lines = [
      'registration_no;twk;tiu;tkp;',
      `${r.nos[0]};85;95;170;`,
      `${r.nos[1]};"60`,
      `";80;150;`,
      `${r.nos[2]};200;150;200;`,
      '',
      `${r.nos[3]};1x0;130;195;`,
    ];
    // The header's trailing delimiter makes a fifth column: refused as the wrong header first.
    const head = await post(r.roundId, 'text/csv', `\uFEFF${lines.join('\r\n')}`);
    expect(head.statusCode).toBe(422);
    expect(head.json().error.details.map((d: { code: string }) => d.code)).toEqual(['CSV_HEADER']);

    const body = `\uFEFF${lines.map((l) => l.replace(/;$/, '')).join('\r\n')}\r\n`;
    const res = await post(r.roundId, 'text/csv', body);
    expect(res.statusCode, res.body).toBe(422);
    const err = res.json().error;
    expect(err.code).toBe('IMPORT_INVALID');
    expect(err.details.map((d: { code: string; details: { line: number } }) => [d.code, d.details.line])).toEqual([
      ['CSV_NOT_INTEGER', 3],
      ['SKD_SCORE_OUT_OF_RANGE', 5],
      ['CSV_NOT_INTEGER', 7],
    ]);
    expect(err.details[1].message).toMatch(/^Baris 5: .*TWK 200 di luar rentang 0–150/);
    expect(err.details[2].message).toMatch(/^Baris 7: nilai TWK "1x0" bukan bilangan bulat/);

    const x = await post(
      r.roundId,
      XLSX,
      await xlsxOf([
        ['registration_no', 'twk', 'tiu', 'tkp'],
        [r.nos[0]!, 85, 95, 170],
        [],
        [r.nos[1]!, 62, 80, 150],
        ['20250000', 60, 80, 150],
      ]),
    );
    expect(x.statusCode, x.body).toBe(422);
    expect(
      x.json().error.details.map((d: { code: string; details: { line: number } }) => [d.code, d.details.line]),
    ).toEqual([
      ['SKD_SCORE_NOT_MULTIPLE_OF_5', 4],
      ['CSV_REGISTRATION_NO', 5],
    ]);
    const unreadable = await post(r.roundId, XLSX, Buffer.from('bukan xlsx'));
    expect(unreadable.statusCode).toBe(422);
    expect(unreadable.json().error.details.map((d: { code: string }) => d.code)).toEqual(['XLSX_UNREADABLE']);
    const unclosed = await post(
      r.roundId,
      'text/csv',
      `registration_no,twk,tiu,tkp\n${r.nos[0]},85,95,170\n${r.nos[1]},"60,80,150\n`,
    );
    expect(unclosed.statusCode).toBe(422);
    expect(
      unclosed.json().error.details.map((d: { code: string; details: { line: number } }) => [d.code, d.details.line]),
    ).toEqual([['CSV_MALFORMED', 3]]);

    expect(await db.selectFrom('exam_imports').select('import_id').where('round_id', '=', r.roundId).execute()).toEqual(
      [],
    );
    expect(await storedScores(r.roundId)).toEqual([]);
  }, 240_000);

  it('declares both media types in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, unknown> }; responses: Record<string, unknown> }>
      >;
    };
    const op = doc.paths['/rounds/{roundId}/imports/{exam}']!.post!;
    expect(Object.keys(op.requestBody!.content).sort()).toEqual([
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'text/csv',
    ]);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['202', '415', '422']));
  });

  it('answers 415 for any other media type (JSON, the old .xls, text/plain)', async () => {
    for (const type of ['application/json', 'application/vnd.ms-excel', 'text/plain']) {
      const res = await post(
        'any-round',
        type,
        type === 'application/json' ? '{"rows":[]}' : 'registration_no,twk,tiu,tkp\n',
      );
      expect(res.statusCode, `${type}: ${res.body}`).toBe(415);
      expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });
});
