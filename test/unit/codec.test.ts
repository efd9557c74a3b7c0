import type { Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  AesGcmCodec,
  CodecKeyError,
  ENCRYPTED_ENCODING,
  generateKey,
  KEY_ID_METADATA,
  loadCodecKeys,
} from '../../config/codec';

const json = (v: unknown): Payload => ({
  metadata: { encoding: new Uint8Array(Buffer.from('json/plain')) },
  data: new Uint8Array(Buffer.from(JSON.stringify(v))),
});
const text = (b: Uint8Array | null | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('utf8');

describe('AES-256-GCM payload codec', () => {
  const k1 = generateKey();
  const k2 = generateKey();

  it('encrypts with the active key, names it in the metadata, and decrypts back exactly', async () => {
    const codec = new AesGcmCodec({ active: 'k1', keys: { k1 } });
    const p = json({ nik: '1271015505950002', alamat: 'Jl. Sisingamangaraja, Medan' });
    const [enc] = await codec.encode([p]);
    expect(text(enc!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(enc!.metadata![KEY_ID_METADATA])).toBe('k1');
    expect(text(enc!.data)).not.toContain('1271015505950002');
    const [dec] = await codec.decode([enc!]);
    expect(text(dec!.data)).toBe(text(p.data));
    expect(text(dec!.metadata!.encoding)).toBe('json/plain');
    // A fresh IV each time: the same payload never encrypts to the same bytes.
    const [again] = await codec.encode([p]);
    expect(Buffer.from(again!.data!).equals(Buffer.from(enc!.data!))).toBe(false);
  });

  it('rotation: a new active key encrypts, the old key still decrypts what it wrote', async () => {
    const before = new AesGcmCodec({ active: 'k1', keys: { k1 } });
    const after = new AesGcmCodec({ active: 'k2', keys: { k1, k2 } });
    const [old] = await before.encode([json({ v: 1 })]);
    const [fresh] = await after.encode([json({ v: 2 })]);
    expect(text(fresh!.metadata![KEY_ID_METADATA])).toBe('k2');
    const [a, b] = await after.decode([old!, fresh!]);
    expect([JSON.parse(text(a!.data)), JSON.parse(text(b!.data))]).toEqual([{ v: 1 }, { v: 2 }]);
    // A service that lost the old key says which key it needs.
    await expect(new AesGcmCodec({ active: 'k2', keys: { k2 } }).decode([old!])).rejects.toBeInstanceOf(CodecKeyError);
  });

  it('refuses a tampered payload and passes plaintext (histories older than encryption) through', async () => {
    const codec = new AesGcmCodec({ active: 'k1', keys: { k1 } });
    const [enc] = await codec.encode([json({ skd: 420 })]);
    const bad = Buffer.from(enc!.data!);
    bad[20] = bad[20]! ^ 1;
    await expect(codec.decode([{ ...enc!, data: new Uint8Array(bad) }])).rejects.toThrow();
    const plain = json({ legacy: true });
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('loads keys from ASN_CODEC_KEYS and rejects a bad configuration clearly', () => {
    expect(loadCodecKeys({ ASN_CODEC_KEYS: JSON.stringify({ active: 'a', keys: { a: k1 } }) })).toEqual({
      active: 'a',
      keys: { a: k1 },
    });
    expect(() => loadCodecKeys({ ASN_CODEC_KEYS: 'nope' })).toThrow(/not JSON/);
    expect(() => loadCodecKeys({ NODE_ENV: 'production' })).toThrow(/not configured/);
    expect(() => new AesGcmCodec({ active: 'a', keys: { a: Buffer.alloc(16).toString('base64') } })).toThrow(
      /32 bytes/,
    );
    expect(() => new AesGcmCodec({ active: 'b', keys: { a: k1 } })).toThrow(/active key b/);
  });
});
