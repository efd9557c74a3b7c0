import { type Kysely, sql } from 'kysely';

/**
 * An audit append's lock and reads in one round trip (issue 20). Every audited write of a round
 * appends to the round's one hash chain under a lock held until its commit, so a round's writes
 * pass that point one at a time, and each round trip the holder makes while a busy worker's
 * event loop answers late adds to every other write's wait. The function takes the chain's lock,
 * then reads — after the lock, so it sees the row the previous holder committed — the row this
 * idempotency key already wrote (`mine`), else the chain's last row.
 *
 * Volatile (the default): each query inside takes a fresh snapshot, so the read after the lock
 * wait sees what committed during the wait.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function audit_chain_head(p_chain text, p_key text)
    returns table (seq integer, hash text, mine boolean) language plpgsql volatile as $$
    begin
      perform pg_advisory_xact_lock(hashtextextended(p_chain, 0));
      return query
        select a.seq, a.hash, true from audit_log a where a.chain = p_chain and a.idempotency_key = p_key;
      if found then
        return;
      end if;
      return query
        select a.seq, a.hash, false from audit_log a where a.chain = p_chain order by a.seq desc limit 1;
    end $$
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists audit_chain_head(text, text)`.execute(db);
}
