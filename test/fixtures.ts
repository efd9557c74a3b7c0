import type { RoundConfigInput } from '../domain';

/** An instant as ISO 8601 in WIB (+07:00), the way HR would type it (the demo's helper). */
export { wib } from '../demo/synthetic';
import { wib } from '../demo/synthetic';

const DAY = 86_400_000;

/**
 * A small Medan-shaped round whose schedule starts `startInDays` after `now` (the test server's
 * clock starts at the real time; time-skipping then runs months in seconds).
 */
export function sampleSchedule(now: number = Date.now(), startInDays = 1): RoundConfigInput['schedule'] {
  const t0 = Math.floor(now / 60_000) * 60_000 + startInDays * DAY;
  return {
    consultationOpens: wib(t0),
    consultationCloses: wib(t0 + 14 * DAY),
    registrationOpens: wib(t0 + 30 * DAY),
    registrationCloses: wib(t0 + 60 * DAY),
    verificationDeadline: wib(t0 + 70 * DAY),
    announcementAt: wib(t0 + 72 * DAY),
    skdAt: wib(t0 + 92 * DAY),
    skbAt: wib(t0 + 122 * DAY),
    finalAnnouncementAt: wib(t0 + 153 * DAY),
    drhDeadline: wib(t0 + 172 * DAY),
  };
}

export function sampleRound(
  roundId: string,
  overrides: Partial<RoundConfigInput> = {},
  now: number = Date.now(),
): RoundConfigInput {
  return {
    roundId,
    name: 'Seleksi CPNS Pemerintah Kota Medan 2025',
    agency: 'BKPSDM Kota Medan',
    budgetYear: 2025,
    referenceDate: '2025-08-01',
    schedule: sampleSchedule(now),
    formations: [
      {
        formationId: 'DINKES-PERAWAT',
        unit: 'Dinas Kesehatan',
        jabatan: 'Perawat Ahli Pertama',
        educationLevel: 'S1',
        educationPrograms: ['Keperawatan', 'Ners'],
        quota: 2,
        category: 'umum',
        extraDocuments: ['str'],
        skbMax: 500,
      },
      {
        formationId: 'DISDIKBUD-GURU',
        unit: 'Dinas Pendidikan dan Kebudayaan',
        jabatan: 'Guru Ahli Pertama',
        educationLevel: 'S1',
        educationPrograms: ['Pendidikan Matematika'],
        quota: 1,
        category: 'umum',
        skbMax: 500,
      },
    ],
    ...overrides,
  };
}
