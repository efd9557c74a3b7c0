import { describe, expect, it } from 'vitest';
import {
  acceptedProgram,
  checkEligibility,
  checkSanggahReason,
  SANGGAH_REASON_LIMITS,
  validateDrh,
  type Drh,
} from '../../domain';
import { sampleDrh } from '../../demo/synthetic';

describe('programme matching against the formation list', () => {
  const formation = {
    educationLevel: 'S1' as const,
    educationPrograms: ['Keperawatan', 'Ners', 'Kesehatan  Masyarakat'],
  };
  it('accepts a listed programme whatever its case and spacing, and gives the formation spelling', () => {
    expect(acceptedProgram(formation, '  KEPERAWATAN ')).toBe('Keperawatan');
    expect(acceptedProgram(formation, 'kesehatan masyarakat')).toBe('Kesehatan  Masyarakat');
    expect(acceptedProgram(formation, 'Kesehatan\u00a0Masyarakat')).toBe('Kesehatan  Masyarakat');
  });
  it('refuses a programme not on the list, naming every accepted one', () => {
    const r = checkEligibility({
      birthDate: '1998-01-01',
      education: { level: 'S1', program: 'Ilmu Keperawatan' },
      formation,
      referenceDate: '2024-08-01',
    });
    expect(r).toHaveLength(1);
    expect(r[0]!.code).toBe('EDUCATION_PROGRAM');
    expect(r[0]!.field).toBe('education.program');
    expect(r[0]!.details).toEqual({ accepted: formation.educationPrograms });
    for (const p of formation.educationPrograms) expect(r[0]!.message).toContain(p);
  });
});

describe('sanggah reason limits (one place)', () => {
  const { min, max } = SANGGAH_REASON_LIMITS;
  it('are the numbers the workflow has always enforced', () => expect([min, max]).toEqual([20, 2000]));
  it.each([
    ['x'.repeat(min), true],
    [`   ${'x'.repeat(min - 1)}   `, false], // the minimum counts the text without surrounding spaces
    ['x'.repeat(max), true],
    ['x'.repeat(max + 1), false],
    ['', false],
  ])('%#: accepted = %s', (reason, ok) => expect(checkSanggahReason(reason).length === 0).toBe(ok));
  it('refuses a non-string with the stable code', () =>
    expect(checkSanggahReason(42)[0]!.code).toBe('INVALID_SANGGAH'));
});

describe('DRH', () => {
  const reg = { birthDate: '1998-05-17', sex: 'P' as const, educationLevel: 'S1' };
  const ctx = { referenceDate: '2026-12-01', registration: reg };
  const good = (): Drh =>
    sampleDrh({
      index: 7,
      fullName: 'Rina Siregar',
      birthDate: reg.birthDate,
      sex: 'P',
      educationLevel: 'S1',
      program: 'Keperawatan',
    });
  const fields = (input: unknown): string[] => {
    const r = validateDrh(input, ctx);
    return r.ok ? [] : r.errors.map((e) => e.field!);
  };

  it('accepts a complete DRH and normalises it', () => {
    const d = good();
    d.identitas.nomorHp = '0812-3456 7890';
    d.identitas.namaLengkap = '  Rina   Siregar ';
    const r = validateDrh(d, ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.identitas.nomorHp).toBe('081234567890');
    expect(r.value.identitas.namaLengkap).toBe('Rina Siregar');
    expect(r.value.pendidikan.map((p) => p.jenjang)).toEqual(['SMA', 'S1']);
  });

  it('reports every problem at once, each at its field', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- deliberately wrong values in a typed DRH
    const d = good() as unknown as Record<string, any>;
    d.identitas.nomorHp = '12345';
    d.identitas.agama = 'lainnya';
    d.identitas.alamat.kodePos = '2011';
    d.identitas.tanggalLahir = '1998-02-30';
    d.pendidikan[1].tahunLulus = 2031;
    d.pernyataan = false;
    expect(fields(d).sort()).toEqual([
      'identitas.agama',
      'identitas.alamat.kodePos',
      'identitas.nomorHp',
      'identitas.tanggalLahir',
      'pendidikan[1].tahunLulus',
      'pernyataan',
    ]);
  });

  it('must agree with the registration the NIP is built from', () => {
    const d = good();
    d.identitas.tanggalLahir = '1998-05-18';
    d.identitas.jenisKelamin = 'L';
    d.pendidikan = [{ jenjang: 'SMA', namaInstitusi: 'SMA Negeri 1 Medan', tahunLulus: 2016 }];
    const r = validateDrh(d, ctx);
    expect(r.ok ? [] : r.errors.filter((e) => e.code === 'DRH_MISMATCH').map((e) => e.field)).toEqual([
      'identitas.tanggalLahir',
      'identitas.jenisKelamin',
      'pendidikan',
    ]);
  });

  it('a married candidate names the spouse; an unmarried one does not', () => {
    const married = good();
    married.identitas.statusPerkawinan = 'kawin';
    expect(fields(married)).toEqual(['keluarga.pasangan.nama']);
    married.keluarga.pasangan = { nama: 'Budi Lubis', tanggalMenikah: '2024-02-14' };
    expect(fields(married)).toEqual([]);
    const single = good();
    single.keluarga.pasangan = { nama: 'Budi Lubis' };
    expect(fields(single)).toEqual(['keluarga.pasangan.nama']);
  });

  it('work history ends after it starts and not in the future', () => {
    const d = good();
    d.pekerjaan = [
      { instansi: 'RS Swasta', jabatan: 'Perawat', mulai: '2022-03-01', selesai: '2021-01-01' },
      { instansi: 'Klinik', jabatan: 'Perawat', mulai: '2027-01-01' },
    ];
    expect(fields(d)).toEqual(['pekerjaan[0].selesai', 'pekerjaan[1].mulai']);
  });

  it('refuses what is not a DRH without throwing', () => {
    for (const bad of [null, 'alamat', [], { alamat: 'Medan' }]) {
      const r = validateDrh(bad, ctx);
      expect(r.ok).toBe(false);
    }
  });
});
