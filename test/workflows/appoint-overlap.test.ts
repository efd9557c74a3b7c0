import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import type { Db } from '../../db/connection';
import { firstOfNextMonth, nipPrefix } from '../../domain';
import { nikFor, openRound } from '../helpers/candidates';
import { testDb } from '../helpers/temporal';

/**
 * Finding 5 of issue 15: two attempts of the `appoint` local activity can overlap (its timeout
 * passes while the first attempt is still in its transaction). Both attempts run here at once on
 * the real PostgreSQL, and the race is made certain rather than likely: a third connection holds
 * the NIP prefix's sequence row (an uncommitted insert) until BOTH attempts are waiting on a lock
 * it holds, directly or through the other attempt; only then is it released.
 *
 * Without a lock on the application row, both attempts read "no appointment yet" before either
 * writes, so the second takes sequence number 2 and overwrites the first one's NIP (a burned
 * sequence number). With it, the second attempt waits for the first and finds its appointment.
 */
let db: Db;
beforeAll(() => {
  db = testDb();
});
afterAll(async () => {
  await db?.destroy();
});

/** Backends of this database waiting on a lock held by `holder`, or by a backend that waits on it. */
async function waitingOn(holder: number): Promise<number> {
  const r = await sql<{ n: string }>`
    with b as (select pid, pg_blocking_pids(pid) as by from pg_stat_activity where datname = current_database())
    select count(*) as n from b
    where ${holder} = any(b.by) or exists (select 1 from b b2 where ${holder} = any(b2.by) and b2.pid = any(b.by))`.execute(
    db,
  );
  return Number(r.rows[0]!.n);
}

async function applicant(
  roundId: string,
  formationId: string,
  i: number,
  birthDate: string,
  sex: 'L' | 'P',
): Promise<string> {
  const registrationNo = `2089${String(process.pid % 10_000).padStart(4, '0')}${String(i).padStart(4, '0')}`;
  await db
    .insertInto('applications')
    .values({
      registration_no: registrationNo,
      round_id: roundId,
      formation_id: formationId,
      budget_year: 2089,
      nik: nikFor(birthDate, sex),
      full_name: 'Rina Siregar',
      birth_date: birthDate,
      sex,
      email: `rina.${i}@contoh.id`,
      category: 'umum',
      education_level: 'D3',
      education_program: 'D-III Keperawatan',
      ipk: 340,
      prior_predikat: null,
      nik_warnings: '[]',
      stage: 'appointment',
      outcome: null,
      registered_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
      idempotency_key_hash: null,
    })
    .execute();
  await db
    .insertInto('appointments')
    .values({
      registration_no: registrationNo,
      drh: JSON.stringify({ alamat: 'Jl. Gatot Subroto, Medan' }),
      drh_submitted_at: new Date().toISOString(),
    })
    .execute();
  return registrationNo;
}

describe('appoint under overlapping attempts (real PostgreSQL)', () => {
  it('two attempts at once give one appointment, one NIP, one sequence number and one audit row', async () => {
    const roundId = `appoint-overlap-${Date.now().toString(36)}`;
    const config = await openRound(db, Date.now(), roundId);
    const formationId = config.formations[0]!.formationId;
    const activities = createActivities({ db });
    // Pairs on different NIP prefixes (birth dates far from any other test's), each its own race.
    for (let i = 1; i <= 3; i++) {
      const birthDate = `1993-0${i}-2${i}`;
      const sex = i % 2 ? 'P' : 'L';
      const registrationNo = await applicant(roundId, formationId, i, birthDate, sex);
      const usulDate = `2089-0${i}-10`;
      const prefix = nipPrefix({ birthDate, tmt: firstOfNextMonth(usulDate), sex });
      const attempt = { registrationNo, roundId, at: new Date().toISOString(), formationId, usulDate };

      const [first, second] = await db.connection().execute(async (conn) => {
        await sql`begin`.execute(conn);
        const holder = Number((await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn)).rows[0]!.pid);
        await sql`insert into nip_sequences (prefix, last_seq) values (${prefix}, 0)`.execute(conn);
        const both = Promise.all([activities.appoint(attempt), activities.appoint(attempt)]);
        const settled = both.catch(() => undefined); // observed below, after the release
        try {
          await expect.poll(() => waitingOn(holder), { timeout: 60_000, interval: 50 }).toBe(2);
        } finally {
          await sql`rollback`.execute(conn);
        }
        await settled;
        return both;
      });

      expect(second).toEqual(first);
      expect(first.nip).toMatch(/^\d{18}$/);
      expect(first.nip.slice(0, 15)).toBe(prefix);
      expect(first.nip.slice(15)).toBe('001');
      const rows = await db
        .selectFrom('appointments')
        .select(['nip', 'career_id'])
        .where('registration_no', '=', registrationNo)
        .execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.nip).toBe(first.nip);
      expect(rows[0]!.career_id).toMatch(/^[a-z2-7]{26}$/);
      expect(
        await db.selectFrom('nip_sequences').select('last_seq').where('prefix', '=', prefix).executeTakeFirst(),
      ).toEqual({ last_seq: 1 });
      const audit = await db
        .selectFrom('audit_log')
        .select('payload')
        .where('subject', '=', registrationNo)
        .where('action', '=', 'candidate.appointed')
        .execute();
      expect(audit).toHaveLength(1);
      expect((audit[0]!.payload as { nip: string }).nip).toBe(first.nip);

      // A later retry (the attempt after a crash) finds the same appointment and the same career id.
      expect(await activities.appoint(attempt)).toEqual(first);
      expect(
        (
          await db
            .selectFrom('appointments')
            .select('career_id')
            .where('registration_no', '=', registrationNo)
            .executeTakeFirstOrThrow()
        ).career_id,
      ).toBe(rows[0]!.career_id);
    }
  });
});
