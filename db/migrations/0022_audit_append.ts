import { type Kysely, sql } from 'kysely';

/**
 * An audit append in one round trip (issue 20): the chain's lock, the row this idempotency key
 * already wrote, else the chain's last row, the new row's hash and its insert. Migration 0021
 * made the lock and the reads one round trip; the insert was a second one made while holding the
 * round's lock, which every other audited write of the round waits for until the commit.
 *
 * The hash is the one db/audit.ts `auditHash` computes (the verifier recomputes it in JavaScript
 * from the stored columns): sha256 of the previous hash, a newline, and the row's canonical JSON.
 * The caller sends that JSON cut at the seq, which only the function knows: `p_before` (every key
 * up to `"seq":`) and `p_after` (the subject and the closing brace).
 *
 * audit_chain_head (0021) stays: a worker of the previous release still calls it during a rolling
 * upgrade, under the same lock, so the two kinds of append interleave safely.
 *
 * Volatile (the default): each query inside takes a fresh snapshot, so the reads after the lock
 * wait see what committed during the wait.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function audit_append(
      p_chain text, p_key text, p_actor text, p_action text, p_subject text, p_reason text,
      p_payload jsonb, p_occurred_at timestamptz, p_before text, p_after text)
    returns table (seq integer, hash text, inserted boolean) language plpgsql volatile as $$
    declare
      v_seq integer;
      v_prev text;
      v_hash text;
    begin
      perform pg_advisory_xact_lock(hashtextextended(p_chain, 0));
      return query
        select a.seq, a.hash, false from audit_log a where a.chain = p_chain and a.idempotency_key = p_key;
      if found then
        return;
      end if;
      select a.seq, a.hash into v_seq, v_prev from audit_log a where a.chain = p_chain order by a.seq desc limit 1;
      v_seq := coalesce(v_seq, 0) + 1;
      v_prev := coalesce(v_prev, repeat('0', 64));
      v_hash := encode(sha256(convert_to(v_prev || E'\\n' || p_before || v_seq::text || p_after, 'UTF8')), 'hex');
      insert into audit_log (chain, seq, idempotency_key, actor, action, subject, reason, payload, occurred_at,
                             prev_hash, hash)
        values (p_chain, v_seq, p_key, p_actor, p_action, p_subject, p_reason, p_payload, p_occurred_at,
                v_prev, v_hash);
      return query select v_seq, v_hash, true;
    end $$
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists audit_append(text, text, text, text, text, text, jsonb, timestamptz, text, text)`.execute(
    db,
  );
}
