import { DEFAULT_PRIOR_PERFORMANCE_POINTS, type Criterion } from '../domain/integration';

/** Words for the codes the pages show (Bahasa Indonesia). */
export const PHASE_LABEL: Record<string, string> = {
  draft: 'Rancangan',
  consultation: 'Konsultasi publik kriteria',
  criteria_adoption: 'Penetapan kriteria',
  registration: 'Pendaftaran dibuka',
  administrative_check: 'Verifikasi administrasi',
  announcement: 'Pengumuman dan sanggah',
  skd: 'Seleksi Kompetensi Dasar (SKD)',
  skb: 'Seleksi Kompetensi Bidang (SKB)',
  final_announcement: 'Pengumuman akhir dan pemberkasan',
  closed: 'Selesai',
  cancelled: 'Dibatalkan',
};

export const CATEGORY_LABEL: Record<string, string> = {
  umum: 'Umum',
  kalimantan: 'Putra/putri Kalimantan',
  cumlaude: 'Lulusan cumlaude',
  diaspora: 'Diaspora',
  disabilitas: 'Penyandang disabilitas',
  papua: 'Putra/putri Papua',
  daerah_tertinggal: 'Daerah tertinggal',
};

export const PASSING_GROUP_LABEL: Record<string, string> = {
  umum: 'Umum',
  cumlaude_diaspora: 'Cumlaude dan diaspora',
  afirmasi: 'Afirmasi (disabilitas, Papua, daerah tertinggal)',
};

export const SCHEDULE_LABEL: Record<string, string> = {
  consultationOpens: 'Konsultasi publik dibuka',
  consultationCloses: 'Konsultasi publik ditutup',
  registrationOpens: 'Pendaftaran dibuka',
  registrationCloses: 'Pendaftaran ditutup',
  verificationDeadline: 'Batas verifikasi administrasi',
  announcementAt: 'Pengumuman seleksi administrasi',
  skdAt: 'SKD',
  skbAt: 'SKB',
  finalAnnouncementAt: 'Pengumuman hasil akhir',
  drhDeadline: 'Batas pengisian DRH',
};

export const ANNOUNCEMENT_LABEL: Record<string, string> = {
  administrasi: 'Hasil seleksi administrasi',
  skd: 'Hasil SKD',
  skb_selection: 'Peserta SKB',
  final: 'Hasil akhir',
};

/** Which announcements exist once the round has reached a phase. */
export const ANNOUNCEMENT_FROM_PHASE: Record<string, string> = {
  administrasi: 'announcement',
  skd: 'skb',
  skb_selection: 'skb',
  final: 'final_announcement',
};
export const PHASE_ORDER = [
  'draft',
  'consultation',
  'criteria_adoption',
  'registration',
  'administrative_check',
  'announcement',
  'skd',
  'skb',
  'final_announcement',
  'closed',
];
export const phaseReached = (current: string, phase: string): boolean =>
  PHASE_ORDER.indexOf(current) >= PHASE_ORDER.indexOf(phase);

const WIB = new Intl.DateTimeFormat('id-ID', { timeZone: 'Asia/Jakarta', dateStyle: 'long', timeStyle: 'short' });
/** An instant in WIB, e.g. "1 Desember 2026 pukul 16.21 WIB". */
export const wib = (iso: string): string => `${WIB.format(new Date(iso)).replace(/\./g, '.')} WIB`;
const DATE = new Intl.DateTimeFormat('id-ID', { timeZone: 'UTC', dateStyle: 'long' });
export const tanggal = (isoDate: string): string => DATE.format(new Date(`${isoDate.slice(0, 10)}T00:00:00Z`));

export const kb = (bytes: number): string => `${Math.round(bytes / 1024)} KB`;

/** A performance criterion in words. */
export function criterionText(c: Criterion): { label: string; weight: number; how: string } {
  switch (c.kind) {
    case 'experience':
      return {
        label: c.label ?? 'Pengalaman kerja',
        weight: c.weight,
        how: `Nilai penuh untuk ${c.maxYears} tahun pengalaman atau lebih, sebanding untuk yang kurang.`,
      };
    case 'interview':
      return { label: c.label ?? 'Wawancara', weight: c.weight, how: `Nilai wawancara 0–${c.max}.` };
    case 'priorPerformance': {
      const points = { ...DEFAULT_PRIOR_PERFORMANCE_POINTS, ...c.points };
      return {
        label: c.label ?? 'Predikat kinerja sebelumnya',
        weight: c.weight,
        how: Object.entries(points)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', '),
      };
    }
  }
}
