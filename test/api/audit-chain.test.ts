import { afterAll, describe, expect, inject, it } from 'vitest';
import { appendAudit, auditHash, canonicalAround, verifyChain } from '../../db/audit';
import { canonicalJson } from '../../db/canonical-json';
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

describe('the hash PostgreSQL computes (migration 0022)', () => {
  // Content that JSON escapes, non-ASCII text, nested keys named like the row's, a null reason.
  const awkward = {
    actor: 'verifikator "A"\\b',
    action: 'decision.recorded',
    subject: 'Siti Ã…\n\t ✓',
    reason: null,
    payload: { seq: 99, subject: 'x', z: [1, { b: 2, a: 'é' }], emoji: '🇮🇩', n: -0.5 },
    occurredAt: '2026-12-03T01:02:03.004Z',
  };

  it('the row cut at its seq is its canonical JSON', () => {
    const row = { chain: 'round:r', idempotencyKey: 'k', ...awkward };
    const { before, after } = canonicalAround(row);
    for (const seq of [1, 42, 123456]) expect(`${before}${seq}${after}`).toBe(canonicalJson({ ...row, seq }));
  });

  it('is the one auditHash computes, row after row, and the chain verifies', async () => {
    const chain = `test-hash:${process.pid}-${Date.now().toString(36)}`;
    let prev = '0'.repeat(64);
    for (let seq = 1; seq <= 3; seq++) {
      const row = { chain, idempotencyKey: `k${seq}`, ...awkward };
      const r = await appendAudit(db, row);
      expect(r).toMatchObject({ seq, inserted: true });
      expect(r.hash).toBe(auditHash(prev, { ...row, seq }));
      prev = r.hash;
    }
    expect(await appendAudit(db, { chain, idempotencyKey: 'k2', ...awkward })).toMatchObject({
      seq: 2,
      inserted: false,
    });
    expect(await verifyChain(db, chain)).toMatchObject({ ok: true, rows: 3 });
  });
});
