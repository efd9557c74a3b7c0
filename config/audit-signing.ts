import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { join } from 'node:path';
import type { AnchoredHead } from '../db/audit';
import { canonicalJson } from '../db/canonical-json';
import { ROOT } from './index';
import { loadKeyRing } from './key-ring';

/**
 * Signed checkpoints of the audit chains, the way Certificate Transparency publishes signed tree
 * heads: the head of a chain (its last seq and hash) signed with Ed25519 and recorded in the
 * Temporal history of the workflow that owns the chain. The private keys live in the
 * configuration (never in PostgreSQL); rotation = add a new active key and keep the old ones so
 * their public keys still verify older checkpoints.
 */
export interface AuditSigningKeys {
  /** The key id new checkpoints are signed with. */
  active: string;
  /** Every signing key, base64 of the PKCS#8 DER Ed25519 private key. */
  keys: Record<string, string>;
}

/** A signed head of one audit chain (its fields: db/audit.ts AnchoredHead). */
export type AuditCheckpoint = AnchoredHead;

export interface AuditPublicKey {
  keyId: string;
  algorithm: 'Ed25519';
  /** base64 of the SPKI DER public key. */
  publicKey: string;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** What is signed: the canonical JSON of every field but the signature. */
export function checkpointMessage(cp: Omit<AuditCheckpoint, 'signature'> & { signature?: string }): Buffer {
  const { chain, seq, hash, rows, signedAt, keyId } = cp;
  return Buffer.from(canonicalJson({ chain, seq, hash, rows, signedAt, keyId }), 'utf8');
}

export class AuditSigner {
  private readonly privateKeys = new Map<string, KeyObject>();
  readonly activeKeyId: string;

  constructor(config: AuditSigningKeys) {
    for (const [id, b64] of Object.entries(config.keys)) {
      if (!KEY_ID.test(id)) throw new Error(`audit signing key id ${JSON.stringify(id)}: letters, digits, . _ - only`);
      let key: KeyObject;
      try {
        key = createPrivateKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'pkcs8' });
      } catch (err) {
        throw new Error(`audit signing key ${id}: not a base64 PKCS#8 private key (${(err as Error).message})`, {
          cause: err,
        });
      }
      if (key.asymmetricKeyType !== 'ed25519')
        throw new Error(`audit signing key ${id}: Ed25519 expected, got ${key.asymmetricKeyType}`);
      this.privateKeys.set(id, key);
    }
    if (!this.privateKeys.has(config.active))
      throw new Error(`audit signing: the active key ${config.active} is not among the configured keys`);
    this.activeKeyId = config.active;
  }

  sign(head: { chain: string; seq: number; hash: string; rows: number; signedAt: string }): AuditCheckpoint {
    const body = {
      chain: head.chain,
      seq: head.seq,
      hash: head.hash,
      rows: head.rows,
      signedAt: head.signedAt,
      keyId: this.activeKeyId,
    };
    const signature = sign(null, checkpointMessage(body), this.privateKeys.get(this.activeKeyId)!).toString('base64');
    return { ...body, signature };
  }

  /** The public keys of every configured key (what `GET /audit/keys` publishes). */
  publicKeys(): AuditPublicKey[] {
    return [...this.privateKeys].map(([keyId, k]) => ({
      keyId,
      algorithm: 'Ed25519',
      publicKey: createPublicKey(k).export({ type: 'spki', format: 'der' }).toString('base64'),
    }));
  }
}

/**
 * Checks a checkpoint's signature against the given public keys. Returns a reason when it does
 * not verify: an unknown key id, a malformed checkpoint, or a signature that does not match.
 */
export function checkCheckpointSignature(
  cp: AuditCheckpoint,
  publicKeys: AuditPublicKey[],
): { valid: true } | { valid: false; reason: 'unknown_key' | 'malformed' | 'bad_signature' } {
  if (
    !cp ||
    typeof cp !== 'object' ||
    typeof cp.chain !== 'string' ||
    !Number.isInteger(cp.seq) ||
    typeof cp.hash !== 'string' ||
    !Number.isInteger(cp.rows) ||
    typeof cp.signedAt !== 'string' ||
    typeof cp.keyId !== 'string' ||
    typeof cp.signature !== 'string'
  )
    return { valid: false, reason: 'malformed' };
  const pub = publicKeys.find((k) => k.keyId === cp.keyId);
  if (!pub) return { valid: false, reason: 'unknown_key' };
  try {
    const key = createPublicKey({ key: Buffer.from(pub.publicKey, 'base64'), format: 'der', type: 'spki' });
    return verify(null, checkpointMessage(cp), key, Buffer.from(cp.signature, 'base64'))
      ? { valid: true }
      : { valid: false, reason: 'bad_signature' };
  } catch {
    return { valid: false, reason: 'malformed' };
  }
}

/** A fresh Ed25519 private key, base64 PKCS#8 DER. */
export function generateSigningKey(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
}

export const DEV_AUDIT_KEYS_FILE = join(ROOT, '.data', 'audit-signing-keys.json');

/**
 * Keys from configuration: ASN_AUDIT_SIGNING_KEYS (JSON `{"active": id, "keys": {id: base64
 * PKCS#8}}`) or ASN_AUDIT_SIGNING_KEYS_FILE (a file holding that JSON). Outside production, with
 * neither set, a key file is created once in .data/ (git-ignored); production refuses to run
 * without configured keys — exactly as the payload codec keys (config/codec.ts).
 */
export function loadAuditSigningKeys(env: NodeJS.ProcessEnv = process.env): AuditSigningKeys {
  return loadKeyRing<AuditSigningKeys>(env, {
    envVar: 'ASN_AUDIT_SIGNING_KEYS',
    devFile: DEV_AUDIT_KEYS_FILE,
    notConfigured: 'audit signing keys',
    keyShape: 'base64 PKCS#8 Ed25519 private key',
    generate: generateSigningKey,
  });
}

const signers = new Map<string, AuditSigner>();
/** One signer per key configuration (cached). */
export function auditSigner(keys: AuditSigningKeys = loadAuditSigningKeys()): AuditSigner {
  const k = JSON.stringify(keys);
  let s = signers.get(k);
  if (!s) signers.set(k, (s = new AuditSigner(keys)));
  return s;
}

/** The public keys verification uses: those of the configured signing keys. */
export function auditPublicKeys(keys?: AuditSigningKeys): AuditPublicKey[] {
  return auditSigner(keys).publicKeys();
}
