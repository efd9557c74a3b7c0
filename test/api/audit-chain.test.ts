import { afterAll, describe, expect, inject, it } from 'vitest';
import { appendAudit, verifyChain } from '../../db/audit';
import { createDb } from '../../db/connection';

/**
 * The audit append under concurrency (db/audit.ts, migration 0021): the chain's lock and the
 * read of its head are one round trip, and the read still sees the row the previous holder
 * committed while this one waited — no two rows with one seq, no fork, every key once.
 */
// 20 connections: the appends really wait for each other's lock.
const db = createDb(inject('databaseUrl'), { max: 20 });
afterAll(async () => {
  await db.destroy();
});

describe('appending to one chain from many connections at once', () => {
  it('40 simultaneous appends, each key twice: 40 rows, seq 1..40, one hash chain that verifies', async () => {
    const chain = `test:${process.pid}-${Date.now().toString(36)}`;
    const entry = (k: number) => ({
      chain,
      idempotencyKey: `k${k}`,
      actor: 'test',
      action: 'test.append',
      subject: `s${k}`,
      payload: { k },
      occurredAt: '2026-12-02T00:00:00.000Z',
    });
    const results = await Promise.all(Array.from({ length: 80 }, (_, i) => appendAudit(db, entry(i % 40))));
    expect(results.filter((r) => r.inserted)).toHaveLength(40);
    // The second append of a key answers with the row the first one wrote.
    for (let k = 0; k < 40; k++) expect(results[k]!.seq).toBe(results[k + 40]!.seq);
    const rows = await db
      .selectFrom('audit_log')
      .select(['seq', 'idempotency_key'])
      .where('chain', '=', chain)
      .orderBy('seq')
      .execute();
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.idempotency_key)).size).toBe(40);
    expect(await verifyChain(db, chain)).toMatchObject({ ok: true });
  });
});
