import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Database } from './schema';
import { canonicalJson } from './canonical-json';
import type { Db } from './connection';

/**
 * Tamper-evident audit log: one hash chain per round (`round:<id>`) and per career
 * (`career:<nip>`). Each row's hash covers its content and the previous row's hash, so editing
 * or deleting a row breaks every hash after it. Appends are idempotent by `idempotencyKey`, so a
 * retried activity never writes a decision twice.
 */
export interface AuditEntry {
  chain: string;
  idempotencyKey: string;
  actor: string;
  action: string;
  subject: string;
  reason?: string | null;
  payload?: unknown;
  occurredAt: Date | string;
}

export const GENESIS = '0'.repeat(64);

export function auditHash(prevHash: string, row: { chain: string; seq: number; idempotencyKey: string; actor: string; action: string; subject: string; reason: string | null; payload: unknown; occurredAt: string }): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(row)).digest('hex');
}

export async function appendAudit(db: Db, e: AuditEntry): Promise<{ seq: number; hash: string; inserted: boolean }> {
  return db.transaction().execute((trx) => appendAuditInTransaction(trx, e));
}

/** The same append inside a caller's transaction, so a decision and its audit row commit together. */
export async function appendAuditInTransaction(trx: Transaction<Database>, e: AuditEntry): Promise<{ seq: number; hash: string; inserted: boolean }> {
  {
    await sql`select pg_advisory_xact_lock(hashtextextended(${e.chain}, 0))`.execute(trx);
    const existing = await trx.selectFrom('audit_log').select(['seq', 'hash']).where('chain', '=', e.chain).where('idempotency_key', '=', e.idempotencyKey).executeTakeFirst();
    if (existing) return { ...existing, inserted: false };
    const last = await trx.selectFrom('audit_log').select(['seq', 'hash']).where('chain', '=', e.chain).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    const seq = (last?.seq ?? 0) + 1;
    const prevHash = last?.hash ?? GENESIS;
    const occurredAt = new Date(e.occurredAt).toISOString();
    const reason = e.reason ?? null;
    const payload = e.payload ?? {};
    const hash = auditHash(prevHash, { chain: e.chain, seq, idempotencyKey: e.idempotencyKey, actor: e.actor, action: e.action, subject: e.subject, reason, payload, occurredAt });
    await trx
      .insertInto('audit_log')
      .values({ chain: e.chain, seq, idempotency_key: e.idempotencyKey, actor: e.actor, action: e.action, subject: e.subject, reason, payload: JSON.stringify(payload), occurred_at: occurredAt, prev_hash: prevHash, hash })
      .execute();
    return { seq, hash, inserted: true };
  }
}

export interface ChainVerification {
  chain: string;
  rows: number;
  ok: boolean;
  firstBroken?: { seq: number; id: string; problem: 'hash' | 'prev_hash' | 'gap' };
}

export async function verifyChain(db: Db, chain: string): Promise<ChainVerification> {
  const rows = await db.selectFrom('audit_log').selectAll().where('chain', '=', chain).orderBy('seq').execute();
  let prev = GENESIS;
  let expectedSeq = 1;
  for (const r of rows) {
    if (r.seq !== expectedSeq) return { chain, rows: rows.length, ok: false, firstBroken: { seq: r.seq, id: String(r.id), problem: 'gap' } };
    if (r.prev_hash !== prev) return { chain, rows: rows.length, ok: false, firstBroken: { seq: r.seq, id: String(r.id), problem: 'prev_hash' } };
    const h = auditHash(prev, { chain: r.chain, seq: r.seq, idempotencyKey: r.idempotency_key, actor: r.actor, action: r.action, subject: r.subject, reason: r.reason, payload: r.payload, occurredAt: new Date(r.occurred_at).toISOString() });
    if (h !== r.hash) return { chain, rows: rows.length, ok: false, firstBroken: { seq: r.seq, id: String(r.id), problem: 'hash' } };
    prev = r.hash;
    expectedSeq += 1;
  }
  return { chain, rows: rows.length, ok: true };
}
