import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { type AuditEntry, auditedTransaction, auditHash, verifyChain } from '../../db/audit';
import { createDb } from '../../db/connection';

/**
 * A transaction that ends with its audit append and its COMMIT in one message (db/audit.ts
 * `auditedTransaction`): the write and the row commit together or not at all, values that need
 * escaping arrive as they were sent, and the connection goes back to the pool with no transaction
 * open, whether the work, the append or nothing failed.
 */
const db = createDb(inject('databaseUrl'), { max: 20 });
const table = `test_audited_tx_${process.pid}`;
const tag = `${process.pid}-${Date.now().toString(36)}`;

beforeAll(async () => {
  await sql`create table ${sql.table(table)} (k text primary key)`.execute(db);
});
afterAll(async () => {
  await sql`drop table if exists ${sql.table(table)}`.execute(db);
  await db.destroy();
});

const written = async (k: string) =>
  (await sql<{ k: string }>`select k from ${sql.table(table)} where k = ${k}`.execute(db)).rows.length;
const chainRows = (chain: string) =>
  db.selectFrom('audit_log').selectAll().where('chain', '=', chain).orderBy('seq').execute();

/** The work of one transaction: a row in the test table, then its key and the audit row to append. */
function work(k: string, e: AuditEntry | null) {
  return async (conn: typeof db) => {
    await sql`insert into ${sql.table(table)} (k) values (${k})`.execute(conn);
    return { value: k, audit: e };
  };
}

// Quotes, backslashes (an E'' literal), a backslash before a quote, newlines, non-ASCII, and
// text that looks like SQL: each must arrive as it was sent.
const awkward = {
  actor: `verifikator 'A' \\ "B"`,
  action: 'decision.recorded',
  reason: `alasan: it\\'s '); drop table audit_log; --`,
  payload: { note: `O'Brien \\n \\\\ ✓ 🇮🇩`, z: [1, { b: 2, a: 'é' }] },
  occurredAt: '2026-12-04T01:02:03.004Z',
};

describe('auditedTransaction', () => {
  it('30 at once on one chain: each write with its row, seq 1..30, content as sent, the chain verifies', async () => {
    const chain = `test-atx:${tag}`;
    const entry = (i: number) => ({ chain, idempotencyKey: `k${i}`, subject: `s'${i}\n`, ...awkward });
    await Promise.all(Array.from({ length: 30 }, (_, i) => auditedTransaction(db, work(`${tag}-${i}`, entry(i)))));
    const rows = await chainRows(chain);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    for (const r of rows) {
      expect(r).toMatchObject({ actor: awkward.actor, reason: awkward.reason, payload: awkward.payload });
      const i = Number(r.idempotency_key.slice(1));
      expect(r.subject).toBe(`s'${i}\n`);
      expect(await written(`${tag}-${i}`)).toBe(1);
      expect(r.hash).toBe(auditHash(r.prev_hash, { ...entry(i), seq: r.seq }));
    }
    expect(await verifyChain(db, chain)).toMatchObject({ ok: true, rows: 30 });
  });

  it('a retried append with the same key writes no second row', async () => {
    const chain = `test-atx-retry:${tag}`;
    const e: AuditEntry = { chain, idempotencyKey: 'once', subject: 's', ...awkward, reason: null };
    await auditedTransaction(db, async () => ({ value: 1, audit: e }));
    await auditedTransaction(db, async () => ({ value: 2, audit: e }));
    expect(await chainRows(chain)).toHaveLength(1);
  });

  it('with no audit row: the write commits and the value is returned', async () => {
    expect(await auditedTransaction(db, work(`${tag}-plain`, null))).toBe(`${tag}-plain`);
    expect(await written(`${tag}-plain`)).toBe(1);
  });

  it('when the work fails, nothing is stored and the connection has no transaction left open', async () => {
    const one = createDb(inject('databaseUrl'), { max: 1 });
    try {
      const chain = `test-atx-fail:${tag}`;
      const e: AuditEntry = { chain, idempotencyKey: 'x', subject: 's', ...awkward };
      const failing = async (conn: typeof db) => {
        await work(`${tag}-failed-work`, e)(conn);
        throw new Error('work failed');
      };
      await expect(auditedTransaction(one, failing)).rejects.toThrow('work failed');
      expect(await written(`${tag}-failed-work`)).toBe(0);
      expect(await chainRows(chain)).toHaveLength(0);
      // In an open transaction now() would be the time of its BEGIN, not of this statement.
      const fresh = await sql<{ fresh: boolean }>`select now() = statement_timestamp() as fresh`.execute(one);
      expect(fresh.rows[0]!.fresh).toBe(true);
    } finally {
      await one.destroy();
    }
  });

  it('when the append fails (the chain lock not granted in time), the write is rolled back with it', async () => {
    const one = createDb(inject('databaseUrl'), { max: 1 });
    const chain = `test-atx-lock:${tag}`;
    try {
      await db.transaction().execute(async (holder) => {
        await sql`select pg_advisory_xact_lock(hashtextextended(${chain}, 0))`.execute(holder);
        const e: AuditEntry = { chain, idempotencyKey: 'x', subject: 's', ...awkward };
        const withTimeout = async (conn: typeof db) => {
          await sql`set local lock_timeout = '100ms'`.execute(conn);
          return work(`${tag}-failed-append`, e)(conn);
        };
        await expect(auditedTransaction(one, withTimeout)).rejects.toThrow(/lock timeout/);
      });
      expect(await written(`${tag}-failed-append`)).toBe(0);
      expect(await chainRows(chain)).toHaveLength(0);
      const fresh = await sql<{ fresh: boolean }>`select now() = statement_timestamp() as fresh`.execute(one);
      expect(fresh.rows[0]!.fresh).toBe(true);
      // The same connection then commits a transaction as usual.
      await auditedTransaction(one, work(`${tag}-after`, { chain, idempotencyKey: 'y', subject: 's', ...awkward }));
      expect(await written(`${tag}-after`)).toBe(1);
    } finally {
      await one.destroy();
    }
  });
});
