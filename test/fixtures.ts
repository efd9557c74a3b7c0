import type { RoundConfigInput } from '../domain';

/** A small Medan-shaped round; instants in WIB. */
export function sampleRound(roundId: string, overrides: Partial<RoundConfigInput> = {}): RoundConfigInput {
  return {
    roundId,
    name: 'Seleksi CPNS Pemerintah Kota Medan 2025',
    agency: 'BKPSDM Kota Medan',
    budgetYear: 2025,
    referenceDate: '2025-08-01',
    schedule: {
      consultationOpens: '2025-06-01T08:00:00+07:00',
      consultationCloses: '2025-06-15T23:59:00+07:00',
      registrationOpens: '2025-07-01T08:00:00+07:00',
      registrationCloses: '2025-07-31T23:59:00+07:00',
      verificationDeadline: '2025-08-10T23:59:00+07:00',
      announcementAt: '2025-08-12T08:00:00+07:00',
      skdAt: '2025-09-01T08:00:00+07:00',
      skbAt: '2025-10-01T08:00:00+07:00',
      finalAnnouncementAt: '2025-11-01T08:00:00+07:00',
      drhDeadline: '2025-11-20T23:59:00+07:00',
    },
    formations: [
      { formationId: 'DINKES-PERAWAT', unit: 'Dinas Kesehatan', jabatan: 'Perawat Ahli Pertama', educationLevel: 'S1', educationPrograms: ['Keperawatan', 'Ners'], quota: 2, category: 'umum', extraDocuments: ['str'], skbMax: 500 },
      { formationId: 'DISDIKBUD-GURU', unit: 'Dinas Pendidikan dan Kebudayaan', jabatan: 'Guru Ahli Pertama', educationLevel: 'S1', educationPrograms: ['Pendidikan Matematika'], quota: 1, category: 'umum', skbMax: 500 },
    ],
    ...overrides,
  };
}
