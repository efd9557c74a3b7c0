import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions } from '../../config/logger';

describe('logs never carry NIK, names, birth dates or tokens', () => {
  it('redacts them wherever they sit in a log record', () => {
    let out = '';
    const sink = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        out += chunk.toString();
        cb();
      },
    });
    const { transport: _t, ...opts } = loggerOptions({ logLevel: 'info', production: true }, 'test');
    const log = pino(opts, sink);
    log.info(
      {
        nik: '1271015505950002',
        fullName: 'Siti Aminah',
        birthDate: '1995-05-15',
        token: 'asn_rahasia',
        req: { headers: { authorization: 'Bearer asn_rahasia2' } },
      },
      'pendaftaran',
    );
    log.info({ body: { nik: '1271015505950003', name: 'Budi Santoso', birthDate: '1990-01-01' } }, 'badan permintaan');
    expect(out).toContain('pendaftaran');
    for (const secret of [
      '1271015505950002',
      'Siti Aminah',
      '1995-05-15',
      'asn_rahasia',
      '1271015505950003',
      'Budi Santoso',
      '1990-01-01',
    ])
      expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });
});
