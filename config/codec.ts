import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ROOT } from './index';
import { loadKeyRing } from './key-ring';

/**
 * Payload encryption: every payload Temporal stores (workflow inputs, update arguments, activity
 * results, query answers, memos) is AES-256-GCM ciphertext, so histories and the Web UI never
 * hold a candidate's personal data in plaintext. The key id travels in the payload's metadata;
 * rotation = add a new active key and keep the old ones for decryption.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

export interface CodecKeys {
  /** The key id new payloads are encrypted with. */
  active: string;
  /** Every key that may still be needed to decrypt, base64 of 32 bytes each. */
  keys: Record<string, string>;
}

export class CodecKeyError extends Error {
  readonly code = 'CODEC_KEY_UNKNOWN';
}

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const text = (b: Uint8Array | null | undefined): string => (b ? Buffer.from(b).toString('utf8') : '');

export class AesGcmCodec implements PayloadCodec {
  private readonly keys = new Map<string, Buffer>();
  readonly activeKeyId: string;

  constructor(config: CodecKeys) {
    for (const [id, b64] of Object.entries(config.keys)) {
      const key = Buffer.from(b64, 'base64');
      if (key.length !== 32) throw new Error(`codec key ${id}: AES-256 needs 32 bytes (base64), got ${key.length}`);
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(id))
        throw new Error(`codec key id ${JSON.stringify(id)}: letters, digits, . _ - only`);
      this.keys.set(id, key);
    }
    if (!this.keys.has(config.active))
      throw new Error(`codec: the active key ${config.active} is not among the configured keys`);
    this.activeKeyId = config.active;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.activeKeyId)!;
    return payloads.map((p) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.activeKeyId) },
        data: new Uint8Array(data),
      };
    });
  }

  /** Payloads that are not encrypted (histories recorded before encryption) pass through unchanged. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (text(p.metadata?.encoding) !== ENCRYPTED_ENCODING) return p;
      const keyId = text(p.metadata?.[KEY_ID_METADATA]);
      const key = this.keys.get(keyId);
      if (!key)
        throw new CodecKeyError(`payload encrypted with key "${keyId}", which is not configured (ASN_CODEC_KEYS)`);
      const data = Buffer.from(p.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

export function generateKey(): string {
  return randomBytes(32).toString('base64');
}

export const DEV_KEYS_FILE = join(ROOT, '.data', 'codec-keys.json');

/**
 * Keys from configuration: ASN_CODEC_KEYS (JSON `{"active": id, "keys": {id: base64}}`) or
 * ASN_CODEC_KEYS_FILE (a file holding that JSON). Outside production, with neither set, a key
 * file is created once in .data/ (git-ignored) so a fresh machine works; production refuses to
 * run without configured keys.
 */
export function loadCodecKeys(env: NodeJS.ProcessEnv = process.env): CodecKeys {
  return loadKeyRing<CodecKeys>(env, {
    envVar: 'ASN_CODEC_KEYS',
    devFile: DEV_KEYS_FILE,
    notConfigured: 'payload encryption keys',
    keyShape: 'base64 32 bytes',
    generate: generateKey,
  });
}

const codecs = new Map<string, AesGcmCodec>();
/** One codec per key configuration (cached: the same keys give the same codec). */
export function payloadCodec(keys: CodecKeys = loadCodecKeys()): AesGcmCodec {
  const k = JSON.stringify(keys);
  let c = codecs.get(k);
  if (!c) codecs.set(k, (c = new AesGcmCodec(keys)));
  return c;
}

/** The data converter of every client, worker and replayer of this system. */
export function dataConverter(keys?: CodecKeys): DataConverter {
  return { payloadCodecs: [payloadCodec(keys)] };
}
