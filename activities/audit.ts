import { type AuditCheckpoint, auditSigner } from '../config/audit-signing';
import { auditHead } from '../db/audit';
import type { ActivityDeps } from './deps';
import { careerChain, roundChain } from '../contracts';

/** Whose chain to anchor: a round's (`roundChain`) or a career's (`careerChain`). */
export interface AnchorInput {
  scope: 'round' | 'career';
  /** The round id, or the career's NIP (the chain names stay those of roundChain/careerChain). */
  id: string;
}

/**
 * Reads a chain's head, signs it (Ed25519, config/audit-signing.ts) and returns the checkpoint:
 * the activity's result is what the workflow history records, and that record — outside
 * PostgreSQL — is what `audit verify` trusts. The copy in audit_checkpoints is for listing only.
 */
export function createAuditActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    async anchorAuditHead(input: AnchorInput): Promise<AuditCheckpoint> {
      const chain = input.scope === 'round' ? roundChain(input.id) : careerChain(input.id);
      const head = await auditHead(db, chain);
      const cp = auditSigner(deps.auditSigningKeys).sign({ ...head, signedAt: new Date().toISOString() });
      await db
        .insertInto('audit_checkpoints')
        .values({
          chain,
          seq: cp.seq,
          hash: cp.hash,
          rows: cp.rows,
          signed_at: cp.signedAt,
          key_id: cp.keyId,
          signature: cp.signature,
        })
        .execute();
      return cp;
    },
  };
}

export type AuditActivities = ReturnType<typeof createAuditActivities>;
