/**
 * PostgreSQL side of the online SKD exam (0016_exam, docs/exam.md): bank versions and items, the
 * keys (read only for scoring and re-derivation), participants' slots and accommodations, and
 * the session rows. Shared by the API and the exam activities.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { canonicalJson } from './canonical-json';
import type { Db } from './connection';
import { EXAM_SUBTESTS, optionPoints, type BankItemInput, type ExamKeyItem, type ExamSubtest } from '../domain';

export interface BankVersionRow {
  bankId: string;
  subtest: ExamSubtest;
  version: number;
  items: number;
  sha256: string;
  importedBy: string;
  importedAt: string;
}

const versionRow = (r: {
  bank_id: string;
  subtest: ExamSubtest;
  version: number;
  items: number;
  sha256: string;
  imported_by: string;
  imported_at: Date;
}): BankVersionRow => ({
  bankId: r.bank_id,
  subtest: r.subtest,
  version: r.version,
  items: r.items,
  sha256: r.sha256,
  importedBy: r.imported_by,
  importedAt: new Date(r.imported_at).toISOString(),
});

/**
 * Stores a validated bank as the next version of {bankId, subtest}; the same content as the
 * latest version stores nothing (`created: false`). Serialised per bank and subtest.
 */
export async function importBank(
  db: Db,
  i: { bankId: string; subtest: ExamSubtest; items: BankItemInput[]; actor: string },
): Promise<BankVersionRow & { created: boolean }> {
  const sha256 = createHash('sha256').update(canonicalJson(i.items)).digest('hex');
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`exam-bank:${i.bankId}:${i.subtest}`}, 0))`.execute(trx);
    const latest = await trx
      .selectFrom('exam_bank_versions')
      .selectAll()
      .where('bank_id', '=', i.bankId)
      .where('subtest', '=', i.subtest)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (latest && latest.sha256 === sha256) return { ...versionRow(latest), created: false };
    const row = await trx
      .insertInto('exam_bank_versions')
      .values({
        bank_id: i.bankId,
        subtest: i.subtest,
        version: (latest?.version ?? 0) + 1,
        sha256,
        items: i.items.length,
        imported_by: i.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    for (let k = 0; k < i.items.length; k += 500)
      await trx
        .insertInto('exam_bank_items')
        .values(
          i.items.slice(k, k + 500).map((item, j) => ({
            bank_id: i.bankId,
            subtest: i.subtest,
            version: row.version,
            item_id: item.id,
            position: k + j,
            body: JSON.stringify({ text: item.text, options: item.options.map((o) => ({ id: o.id, text: o.text })) }),
            key: JSON.stringify(optionPoints(item)),
          })),
        )
        .execute();
    return { ...versionRow(row), created: true };
  });
}

export async function bankVersions(db: Db, bankId: string): Promise<BankVersionRow[]> {
  const rows = await db
    .selectFrom('exam_bank_versions')
    .selectAll()
    .where('bank_id', '=', bankId)
    .orderBy('subtest')
    .orderBy('version')
    .execute();
  return rows.map(versionRow);
}

/** The latest version of each subtest's bank with its item ids and option ids (bank order), or the missing subtests. */
export async function latestBanks(
  db: Db,
  bankId: string,
): Promise<
  | { ok: true; versions: Record<ExamSubtest, number>; items: Record<ExamSubtest, { id: string; options: string[] }[]> }
  | { ok: false; missing: ExamSubtest[] }
> {
  const latest = await db
    .selectFrom('exam_bank_versions')
    .select(['subtest', sql<number>`max(version)`.as('version')])
    .where('bank_id', '=', bankId)
    .groupBy('subtest')
    .execute();
  const missing = EXAM_SUBTESTS.filter((s) => !latest.some((l) => l.subtest === s));
  if (missing.length) return { ok: false, missing };
  const versions = Object.fromEntries(latest.map((l) => [l.subtest, Number(l.version)])) as Record<ExamSubtest, number>;
  const items = {} as Record<ExamSubtest, { id: string; options: string[] }[]>;
  for (const sub of EXAM_SUBTESTS) {
    const rows = await db
      .selectFrom('exam_bank_items')
      .select(['item_id', 'body'])
      .where('bank_id', '=', bankId)
      .where('subtest', '=', sub)
      .where('version', '=', versions[sub])
      .orderBy('position')
      .execute();
    items[sub] = rows.map((r) => ({ id: r.item_id, options: r.body.options.map((o) => o.id) }));
  }
  return { ok: true, versions, items };
}

type ItemRef = { itemId: string; subtest: ExamSubtest };

/** One column of a session's items, subtest by subtest, from the recorded bank versions. */
async function* bankColumn<C extends 'body' | 'key'>(
  db: Db,
  bankId: string,
  versions: Record<ExamSubtest, number>,
  items: readonly ItemRef[],
  column: C,
) {
  for (const sub of EXAM_SUBTESTS) {
    const ids = items.filter((i) => i.subtest === sub).map((i) => i.itemId);
    if (!ids.length) continue;
    const rows = await db
      .selectFrom('exam_bank_items')
      .select(['item_id', column])
      .where('bank_id', '=', bankId)
      .where('subtest', '=', sub)
      .where('version', '=', versions[sub])
      .where('item_id', 'in', ids)
      .execute();
    yield { sub, ids, rows };
  }
}

/** The texts of a session's items (never the key). */
export async function itemBodies(
  db: Db,
  bankId: string,
  versions: Record<ExamSubtest, number>,
  items: readonly ItemRef[],
): Promise<Map<string, { text: string; options: { id: string; text: string }[] }>> {
  const out = new Map<string, { text: string; options: { id: string; text: string }[] }>();
  for await (const { rows } of bankColumn(db, bankId, versions, items, 'body'))
    for (const r of rows) out.set(r.item_id, r.body);
  return out;
}

/** The keys of a session's items, from the recorded bank versions (scoring and the auditor only). */
export async function itemKeys(
  db: Db,
  bankId: string,
  versions: Record<ExamSubtest, number>,
  items: readonly ItemRef[],
): Promise<ExamKeyItem[]> {
  const out: ExamKeyItem[] = [];
  for await (const { sub, ids, rows } of bankColumn(db, bankId, versions, items, 'key')) {
    if (rows.length !== ids.length) throw new Error(`bank ${bankId} ${sub} v${versions[sub]}: items missing`);
    for (const r of rows) out.push({ itemId: r.item_id, subtest: sub, points: r.key });
  }
  return out;
}

/** The import row every online score of a round hangs from (exam_scores.import_id), created once. */
export async function onlineImportId(db: Db, roundId: string): Promise<string> {
  const sha256 = `online-exam:${roundId}`;
  await db
    .insertInto('exam_imports')
    .values({ round_id: roundId, kind: 'skd', sha256, rows: 0, correction: false, imported_by: 'exam' })
    .onConflict((oc) => oc.columns(['round_id', 'kind', 'sha256']).doNothing())
    .execute();
  const row = await db
    .selectFrom('exam_imports')
    .select('import_id')
    .where('round_id', '=', roundId)
    .where('kind', '=', 'skd')
    .where('sha256', '=', sha256)
    .executeTakeFirstOrThrow();
  return String(row.import_id);
}
