import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { escapeLiteral } from 'pg';
import type { Database } from './schema';
import { canonicalJson } from './canonical-json';
import type { Db } from './connection';

/**
 * Tamper-evident audit log: one hash chain per round (`round:<id>`) and per career
 * (`career:<nip>`). Each row's hash covers its content and the previous row's hash, so editing
 * or deleting a row breaks every hash after it. Appends are idempotent by `idempotencyKey`, so a
 * retried activity never writes a decision twice.
 *
 * Hashes alone cannot show rows cut from the end, or a row edited with every later hash
 * recomputed: the workflows therefore anchor each chain's head (activities/audit.ts) as a signed
 * checkpoint in their Temporal history, and verifyChain compares the chain with those heads.
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

export function auditHash(
  prevHash: string,
  row: {
    chain: string;
    seq: number;
    idempotencyKey: string;
    actor: string;
    action: string;
    subject: string;
    reason: string | null;
    payload: unknown;
    occurredAt: string;
  },
): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(row)).digest('hex');
}

/** An append on its own: one statement, its own transaction (the chain's lock ends with it). */
export async function appendAudit(db: Db, e: AuditEntry): Promise<{ seq: number; hash: string; inserted: boolean }> {
  return appendAuditInTransaction(db, e);
}

/**
 * The canonical JSON of an audit row (what `auditHash` hashes after the previous hash) cut at its
 * seq: `before + seq + after`. The keys sort as action, actor, chain, idempotencyKey, occurredAt,
 * payload, reason, seq, subject, so the seq is followed by the subject alone.
 */
export function canonicalAround(row: Omit<Parameters<typeof auditHash>[1], 'seq'>): { before: string; after: string } {
  const { subject, ...rest } = row;
  const head = canonicalJson(rest);
  return { before: `${head.slice(0, -1)},"seq":`, after: `,"subject":${JSON.stringify(subject)}}` };
}

/** The arguments of `audit_append` (migration 0022), in its order. */
type AppendArgs = [
  chain: string,
  key: string,
  actor: string,
  action: string,
  subject: string,
  reason: string | null,
  payload: string,
  occurredAt: string,
  before: string,
  after: string,
];

function appendArgs(e: AuditEntry): AppendArgs {
  const occurredAt = new Date(e.occurredAt).toISOString();
  const reason = e.reason ?? null;
  const payload = e.payload ?? {};
  const { before, after } = canonicalAround({
    chain: e.chain,
    idempotencyKey: e.idempotencyKey,
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    reason,
    payload,
    occurredAt,
  });
  return [
    e.chain,
    e.idempotencyKey,
    e.actor,
    e.action,
    e.subject,
    reason,
    JSON.stringify(payload),
    occurredAt,
    before,
    after,
  ];
}

/**
 * The same append inside a caller's transaction, so a decision and its audit row commit together:
 * one round trip (migration 0022), in which the database takes the chain's lock, finds the row this
 * key already wrote or else numbers and hashes the new one.
 */
export async function appendAuditInTransaction(
  trx: Transaction<Database> | Db,
  e: AuditEntry,
): Promise<{ seq: number; hash: string; inserted: boolean }> {
  const [chain, key, actor, action, subject, reason, payload, occurredAt, before, after] = appendArgs(e);
  const row = (
    await sql<{ seq: number; hash: string; inserted: boolean }>`
      select seq, hash, inserted from audit_append(${chain}, ${key}, ${actor}, ${action},
        ${subject}, ${reason}, ${payload}::jsonb, ${occurredAt}::timestamptz, ${before}, ${after})`.execute(trx)
  ).rows[0]!;
  return row;
}

/**
 * A transaction whose last statement is its audit append, sent together with its COMMIT in one
 * message (the simple query protocol runs the two in turn, and skips the COMMIT if the append
 * fails). The chain's lock is then held from the append to the end of the commit, and no longer
 * for a round trip to a worker whose event loop, busy with the round's other candidates, answers
 * late: every other audited write of the round waited for that round trip (issue 20).
 *
 * `work` runs on one connection inside BEGIN, and returns its value and the audit row to append
 * (none: a plain COMMIT). The row's values go into the message as literals escaped by
 * node-postgres (`escapeLiteral`, libpq's rules: quotes doubled, and an E'' literal with doubled
 * backslashes when there is a backslash), which hold whatever standard_conforming_strings is, in
 * the UTF-8 client encoding node-postgres sets. Text from users (a reason, a sanggah) is among them;
 * test/api/audited-transaction.test.ts sends quotes, backslashes and SQL-looking text.
 */
export async function auditedTransaction<T>(
  db: Db,
  work: (conn: Db) => Promise<{ value: T; audit: AuditEntry | null }>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`begin`.execute(conn);
    try {
      const { value, audit } = await work(conn);
      await sql.raw(audit ? `${appendStatement(audit)}; commit` : 'commit').execute(conn);
      return value;
    } catch (err) {
      // After a failed append the transaction is aborted (the COMMIT was skipped); after a failed
      // COMMIT it is over, and this ROLLBACK only draws a warning.
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
}

/** `select audit_append(…)` with its values as literals. */
function appendStatement(e: AuditEntry): string {
  const lits = appendArgs(e).map((v) => (v === null ? 'null' : escapeLiteral(v)));
  lits[6] += '::jsonb'; // payload
  lits[7] += '::timestamptz'; // occurredAt
  return `select audit_append(${lits.join(', ')})`;
}

/** The head of a chain as it is now: its last row's seq and hash, and how many rows it has. */
export async function auditHead(
  db: Db,
  chain: string,
): Promise<{ chain: string; seq: number; hash: string; rows: number }> {
  const last = await db
    .selectFrom('audit_log')
    .select(['seq', 'hash'])
    .where('chain', '=', chain)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const n = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('chain', '=', chain)
    .executeTakeFirstOrThrow();
  return { chain, seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS, rows: Number(n.n) };
}

/** What verification can find: a row problem inside the chain, or a disagreement with a signed head. */
export type ChainProblem =
  'edited_row' | 'prev_hash' | 'gap' | 'rows_deleted_after_head' | 'chain_recomputed' | 'invalid_signature';

/** A signed head of one audit chain, as recorded in a workflow history (signed by config/audit-signing.ts). */
export interface AnchoredHead {
  chain: string;
  /** The head row's seq (0 for an empty chain). */
  seq: number;
  /** The head row's hash (64 zeros for an empty chain). */
  hash: string;
  /** Rows in the chain when it was signed. */
  rows: number;
  signedAt: string;
  keyId: string;
  /** base64 Ed25519 signature over the canonical JSON of the other fields. */
  signature: string;
}

/**
 * The checkpoints to check a chain against, in the order they were anchored, each with the
 * outcome of its signature check (done by the caller with the public keys), and where they were
 * read from (the workflow whose history recorded them).
 */
export interface AnchorEvidence {
  source: string | null;
  checkpoints: { checkpoint: AnchoredHead; signatureValid: boolean; reason?: string }[];
}

export interface ChainVerification {
  chain: string;
  rows: number;
  ok: boolean;
  /** The first row where the chain is broken (an edited row, a wrong prev_hash, a gap) or disagrees with the signed head. */
  firstBroken?: { seq: number; id: string | null; problem: ChainProblem };
  /** How the chain compares with the latest signed head from the workflow history (absent when not checked). */
  anchor?: {
    status: 'intact' | 'not_anchored' | 'invalid_signature' | 'rows_deleted_after_head' | 'chain_recomputed';
    /** The latest anchored head whose signature verifies (or, when none does, the latest one). */
    head: AnchoredHead | null;
    /** The workflow whose history holds the head. */
    source: string | null;
    /** Anchored heads found in the history (every one is checked). */
    checkpoints: number;
    /** Rows after the anchored head: not yet covered by a signature. */
    rowsAfterHead: number;
  };
  /** Everything found, in chain order (Bahasa Indonesia messages). */
  problems: { problem: ChainProblem; seq: number | null; id: string | null; message: string }[];
}

type AuditRow = Awaited<ReturnType<typeof chainRows>>[number];
type Problems = ChainVerification['problems'];
type AnchorStatus = NonNullable<ChainVerification['anchor']>['status'];

function chainRows(db: Db, chain: string) {
  return db.selectFrom('audit_log').selectAll().where('chain', '=', chain).orderBy('seq').execute();
}

/** The first row whose seq, link or hash is wrong (rows in seq order), as a problem; none when intact. */
function firstRowProblem(rows: AuditRow[]): Problems[number] | undefined {
  let prev = GENESIS;
  let expectedSeq = 1;
  for (const r of rows) {
    const at = { seq: r.seq, id: String(r.id) };
    if (r.seq !== expectedSeq)
      return {
        problem: 'gap',
        ...at,
        message: `Baris ${expectedSeq}${r.seq - 1 > expectedSeq ? `–${r.seq - 1}` : ''} hilang dari tengah rantai`,
      };
    if (r.prev_hash !== prev)
      return { problem: 'prev_hash', ...at, message: `Baris ${r.seq} tidak menunjuk hash baris sebelumnya` };
    const h = auditHash(prev, {
      chain: r.chain,
      seq: r.seq,
      idempotencyKey: r.idempotency_key,
      actor: r.actor,
      action: r.action,
      subject: r.subject,
      reason: r.reason,
      payload: r.payload,
      occurredAt: new Date(r.occurred_at).toISOString(),
    });
    if (h !== r.hash)
      return { problem: 'edited_row', ...at, message: `Isi baris ${r.seq} diubah: hash-nya tidak cocok dengan isinya` };
    prev = r.hash;
    expectedSeq += 1;
  }
  return undefined;
}

/**
 * Every signed head (oldest first) must still be in the chain with the hash that was signed. The
 * last head that still matches and the first that does not bound where the rewrite began.
 */
function recomputedProblem(rows: AuditRow[], valid: AnchoredHead[]): Problems[number] | undefined {
  const bySeq = new Map(rows.map((r) => [r.seq, r]));
  let lastMatching = 0;
  for (const c of [...valid].sort((a, b) => a.seq - b.seq)) {
    const row = bySeq.get(c.seq);
    if (c.seq === 0 || !row) continue;
    if (row.hash === c.hash) {
      lastMatching = c.seq;
      continue;
    }
    return {
      problem: 'chain_recomputed',
      seq: c.seq,
      id: String(row.id),
      message: `Baris ${c.seq} memiliki hash lain daripada kepala rantai yang ditandatangani (${c.signedAt}): rantai diubah di antara baris ${lastMatching + 1} dan ${c.seq}, lalu hash-nya dihitung ulang`,
    };
  }
  return undefined;
}

/** The chain against the signed heads read for it: the anchor's summary, and its problems added to `problems`. */
function checkAnchor(
  chain: string,
  rows: AuditRow[],
  evidence: AnchorEvidence,
  problems: Problems,
): NonNullable<ChainVerification['anchor']> {
  const mine = evidence.checkpoints.filter((c) => c.checkpoint.chain === chain);
  for (const c of mine.filter((x) => !x.signatureValid)) {
    problems.push({
      problem: 'invalid_signature',
      seq: c.checkpoint.seq,
      id: null,
      message: `Tanda tangan kepala rantai pada baris ${c.checkpoint.seq} (kunci ${c.checkpoint.keyId}) tidak sah${c.reason ? ` (${c.reason})` : ''}`,
    });
  }
  const valid = mine.filter((x) => x.signatureValid).map((x) => x.checkpoint);
  const latest = valid.reduce<AnchoredHead | null>((m, c) => (!m || c.seq >= m.seq ? c : m), null);
  let status: AnchorStatus = latest ? 'intact' : mine.length ? 'invalid_signature' : 'not_anchored';
  const last = rows.at(-1)?.seq ?? 0;
  if (latest && latest.seq > 0 && !rows.some((r) => r.seq === latest.seq) && last < latest.seq) {
    status = 'rows_deleted_after_head';
    problems.push({
      problem: 'rows_deleted_after_head',
      seq: last + 1,
      id: null,
      message: `Rantai berakhir pada baris ${last}, padahal kepala yang ditandatangani (${latest.signedAt}) berada pada baris ${latest.seq}: ${latest.seq - last} baris terakhir dihapus`,
    });
  }
  const recomputed = recomputedProblem(rows, valid);
  if (recomputed) {
    if (status === 'intact') status = 'chain_recomputed';
    problems.push(recomputed);
  }
  return {
    status,
    head: latest ?? mine.at(-1)?.checkpoint ?? null,
    source: evidence.source,
    checkpoints: mine.length,
    rowsAfterHead: latest ? rows.filter((r) => r.seq > latest.seq).length : rows.length,
  };
}

/**
 * Recomputes a chain's hashes and, given the signed heads anchored in the Temporal history,
 * checks the chain against them: `ok` only when every row is intact and the chain still holds,
 * at the anchored seq, the hash that was signed. Without evidence only the internal hashes are
 * checked (as before anchoring existed).
 */
export async function verifyChain(db: Db, chain: string, evidence?: AnchorEvidence): Promise<ChainVerification> {
  const rows = await chainRows(db, chain);
  const problems: Problems = [];
  const rowProblem = firstRowProblem(rows);
  if (rowProblem) problems.push(rowProblem);
  const out: ChainVerification = { chain, rows: rows.length, ok: true, problems };
  if (evidence) out.anchor = checkAnchor(chain, rows, evidence, problems);
  problems.sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity));
  out.ok = problems.length === 0;
  const first = problems[0];
  if (first) out.firstBroken = { seq: first.seq ?? 0, id: first.id, problem: first.problem };
  return out;
}
