import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema';
import { appendAuditInTransaction } from '../../db/audit';
import { AppError } from '../errors';
import type { ServiceDeps } from './deps';
import { unitChain } from '../../contracts';
import { assertUsersWithRole } from './people';

/** The audit chain of a unit's own ratings (as `round:<id>` and `career:<nip>`). */

export const RATING_YEAR_MIN = 2000;
/** Ratings are set for past years, this year and next year (planning), by the WIB calendar. */
export const ratingYearMax = (now: Date = new Date()): number =>
  new Date(now.getTime() + 7 * 3_600_000).getUTCFullYear() + 1;
export const HEADCOUNT_MAX = 10_000;

export interface UnitRatingInput {
  rating: string;
  headcount: number;
  unitHead: string;
  reason: string;
}
export interface UnitRatingView {
  unit: string;
  year: number;
  rating: string;
  headcount: number;
  unitHead: string;
  revision: number;
}
export interface UnitRatingResult extends UnitRatingView {
  created: boolean;
  changed: boolean;
  previous: UnitRatingView | null;
}

/** A unit is known when a recorded round has a formation in it (formations.unit). */
export async function assertKnownUnit(deps: ServiceDeps, unit: string): Promise<void> {
  const row = await deps.db
    .selectFrom('formations')
    .select('unit')
    .where('unit', '=', unit)
    .limit(1)
    .executeTakeFirst();
  if (!row)
    throw new AppError(
      422,
      'UNKNOWN_UNIT',
      'Unit kerja tidak dikenal: tidak ada formasi dengan unit ini pada seleksi yang tercatat',
      { unit },
    );
}

/** 422 YEAR_OUT_OF_RANGE or HEADCOUNT_OUT_OF_RANGE. */
function checkRatingRange(year: number, input: UnitRatingInput, now: Date): void {
  const max = ratingYearMax(now);
  if (!Number.isInteger(year) || year < RATING_YEAR_MIN || year > max)
    throw new AppError(422, 'YEAR_OUT_OF_RANGE', `Tahun penilaian harus antara ${RATING_YEAR_MIN} dan ${max}`, {
      year,
      min: RATING_YEAR_MIN,
      max,
    });
  if (!Number.isInteger(input.headcount) || input.headcount < 1 || input.headcount > HEADCOUNT_MAX)
    throw new AppError(422, 'HEADCOUNT_OUT_OF_RANGE', `Jumlah pegawai unit harus 1–${HEADCOUNT_MAX}`, {
      headcount: input.headcount,
    });
}

/** The rating stored for the unit and year, locked for the update. */
async function previousRating(trx: Transaction<Database>, unit: string, year: number): Promise<UnitRatingView | null> {
  const prev = await trx
    .selectFrom('unit_ratings')
    .selectAll()
    .where('unit', '=', unit)
    .where('year', '=', year)
    .forUpdate()
    .executeTakeFirst();
  return prev
    ? {
        unit,
        year,
        rating: prev.rating,
        headcount: prev.headcount,
        unitHead: prev.unit_head,
        revision: prev.revision,
      }
    : null;
}

/** Stores a new revision of the rating with its audit row (who, why, the previous value); its number. */
async function writeRating(
  trx: Transaction<Database>,
  actor: string,
  key: { unit: string; year: number },
  input: UnitRatingInput,
  previous: UnitRatingView | null,
  now: Date,
): Promise<number> {
  const { unit, year } = key;
  const chain = unitChain(unit);
  const revision = (previous?.revision ?? 0) + 1;
  const at = now.toISOString();
  const values = {
    unit,
    year,
    rating: input.rating,
    headcount: input.headcount,
    unit_head: input.unitHead,
    revision,
    updated_by: actor,
    updated_at: at,
  };
  await trx
    .insertInto('unit_ratings')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['unit', 'year']).doUpdateSet({
        rating: values.rating,
        headcount: values.headcount,
        unit_head: values.unit_head,
        revision,
        updated_by: actor,
        updated_at: at,
      }),
    )
    .execute();
  await appendAuditInTransaction(trx, {
    chain,
    idempotencyKey: `rating:${year}:${revision}`,
    actor,
    action: previous ? 'unit_rating.changed' : 'unit_rating.set',
    subject: unit,
    reason: input.reason.trim(),
    payload: {
      year,
      rating: input.rating,
      headcount: input.headcount,
      unitHead: input.unitHead,
      revision,
      previous: previous && {
        rating: previous.rating,
        headcount: previous.headcount,
        unitHead: previous.unitHead,
        revision: previous.revision,
      },
    },
    occurredAt: at,
  });
  return revision;
}

/**
 * Sets a unit's own rating for a year (it drives the SKP distribution rule). The unit must be
 * known, the year sane, the unit head an enabled supervisor account; each change is a new
 * revision with its audit row (who, why, the previous value) in the same transaction.
 * The same values again change nothing and write nothing.
 */
export async function putUnitRating(
  deps: ServiceDeps,
  actor: string,
  unit: string,
  year: number,
  input: UnitRatingInput,
  now: Date = new Date(),
): Promise<UnitRatingResult> {
  checkRatingRange(year, input, now);
  await assertKnownUnit(deps, unit);
  await assertUsersWithRole(deps, [input.unitHead], 'supervisor');
  const chain = unitChain(unit);
  return deps.db.transaction().execute(async (trx) => {
    // The chain's lock (appendAuditInTransaction takes it again, re-entrantly) serialises the
    // unit's writes: two concurrent first ratings cannot both be "created".
    await sql`select pg_advisory_xact_lock(hashtextextended(${chain}, 0))`.execute(trx);
    const previous = await previousRating(trx, unit, year);
    if (
      previous &&
      previous.rating === input.rating &&
      previous.headcount === input.headcount &&
      previous.unitHead === input.unitHead
    ) {
      return { ...previous, created: false, changed: false, previous };
    }
    const revision = await writeRating(trx, actor, { unit, year }, input, previous, now);
    return {
      unit,
      year,
      rating: input.rating,
      headcount: input.headcount,
      unitHead: input.unitHead,
      revision,
      created: !previous,
      changed: true,
      previous,
    };
  });
}
