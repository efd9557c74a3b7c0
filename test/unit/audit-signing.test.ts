import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AuditSigner,
  checkCheckpointSignature,
  checkpointMessage,
  generateSigningKey,
  loadAuditSigningKeys,
} from '../../config/audit-signing';
import { canonicalJson } from '../../db/canonical-json';

const head = { chain: 'round:r1', seq: 12, hash: 'a'.repeat(64), rows: 12, signedAt: '2026-12-01T09:00:00.000Z' };

describe('audit checkpoint signing (Ed25519)', () => {
  it('signs the canonical JSON of every field but the signature; the public key verifies it', () => {
    const signer = new AuditSigner({ active: 'k1', keys: { k1: generateSigningKey() } });
    const cp = signer.sign(head);
    expect(cp).toMatchObject({ ...head, keyId: 'k1', signature: expect.stringMatching(/^[A-Za-z0-9+/]{86}==$/) });
    expect(checkpointMessage(cp).toString()).toBe(
      canonicalJson({
        chain: cp.chain,
        seq: cp.seq,
        hash: cp.hash,
        rows: cp.rows,
        signedAt: cp.signedAt,
        keyId: cp.keyId,
      }),
    );
    expect(checkCheckpointSignature(cp, signer.publicKeys())).toEqual({ valid: true });
  });

  it('any changed field, another key under the same id, an unknown key id or a malformed checkpoint fail', () => {
    const signer = new AuditSigner({ active: 'k1', keys: { k1: generateSigningKey() } });
    const keys = signer.publicKeys();
    const cp = signer.sign(head);
    for (const changed of [
      { seq: 11 },
      { hash: 'b'.repeat(64) },
      { rows: 13 },
      { chain: 'round:r2' },
      { signedAt: '2026-12-01T09:00:01.000Z' },
    ]) {
      expect(checkCheckpointSignature({ ...cp, ...changed }, keys)).toEqual({ valid: false, reason: 'bad_signature' });
    }
    const impostor = new AuditSigner({ active: 'k1', keys: { k1: generateSigningKey() } }).sign(head);
    expect(checkCheckpointSignature(impostor, keys)).toEqual({ valid: false, reason: 'bad_signature' });
    expect(checkCheckpointSignature({ ...cp, keyId: 'k9' }, keys)).toEqual({ valid: false, reason: 'unknown_key' });
    expect(checkCheckpointSignature({ ...cp, seq: '12' as unknown as number }, keys)).toEqual({
      valid: false,
      reason: 'malformed',
    });
    expect(checkCheckpointSignature({ ...cp, signature: 'bm90IGEgc2lnbmF0dXJl' }, keys)).toEqual({
      valid: false,
      reason: 'bad_signature',
    });
  });

  it('after a rotation the old key still verifies the checkpoints it signed', () => {
    const old = generateSigningKey();
    const before = new AuditSigner({ active: 'k1', keys: { k1: old } }).sign(head);
    const after = new AuditSigner({ active: 'k2', keys: { k1: old, k2: generateSigningKey() } });
    expect(after.sign(head).keyId).toBe('k2');
    expect(checkCheckpointSignature(before, after.publicKeys())).toEqual({ valid: true });
  });

  it('keys from ASN_AUDIT_SIGNING_KEYS / ASN_AUDIT_SIGNING_KEYS_FILE; bad keys refused; production refuses without keys', () => {
    const k = generateSigningKey();
    expect(loadAuditSigningKeys({ ASN_AUDIT_SIGNING_KEYS: JSON.stringify({ active: 'a', keys: { a: k } }) })).toEqual({
      active: 'a',
      keys: { a: k },
    });
    expect(() => loadAuditSigningKeys({ ASN_AUDIT_SIGNING_KEYS: 'nope' })).toThrow(/not JSON/);
    expect(() => loadAuditSigningKeys({ NODE_ENV: 'production' })).toThrow(/not configured/);
    const dir = mkdtempSync(join(tmpdir(), 'asn-audit-keys-'));
    try {
      expect(() => loadAuditSigningKeys({ ASN_AUDIT_SIGNING_KEYS_FILE: join(dir, 'missing.json') })).toThrow(
        /does not exist/,
      );
      expect(() => new AuditSigner({ active: 'a', keys: { a: Buffer.from('short').toString('base64') } })).toThrow(
        /PKCS#8/,
      );
      expect(() => new AuditSigner({ active: 'b', keys: { a: k } })).toThrow(/active key b/);
      const file = join(dir, 'keys.json');
      writeFileSync(file, JSON.stringify({ active: 'f', keys: { f: k } }));
      expect(loadAuditSigningKeys({ ASN_AUDIT_SIGNING_KEYS_FILE: file, NODE_ENV: 'production' })).toEqual({
        active: 'f',
        keys: { f: k },
      });
      expect(JSON.parse(readFileSync(file, 'utf8')).keys.f).toBe(k);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
