import PDFDocument from 'pdfkit';
import type { announcement, AnnouncementRow } from '../api/services/announcements';
import { RESULT_LABEL } from '../api/services/announcements';
import type { RoundConfig } from '../domain';
import { tanggal } from './labels';

/**
 * An announcement as the agency publishes it: the letterhead (kop surat: the agency, the round),
 * the number and date, the rows per formation named by jabatan and unit (NIKs masked by the
 * announcements service, as on the public page), and the signatory. The same data as HTML (the
 * page) and as a PDF drawn with pdfkit.
 */
export interface Letter {
  nomor: string;
  tanggal: string;
  tempat: string;
  penandatangan: string;
  nip: string;
  jabatan: string;
}
export const LETTER_FIELDS = ['nomor', 'tanggal', 'tempat', 'penandatangan', 'nip', 'jabatan'] as const;
export type Announcement = Awaited<ReturnType<typeof announcement>>;

/** The letter's fields from a query string, with a message per field that is wrong. */
export function readLetter(q: Record<string, unknown>): { letter: Letter; errors: Record<string, string> } {
  const s = (k: string, max: number): string => (typeof q[k] === 'string' ? (q[k] as string).trim().slice(0, max) : '');
  const letter: Letter = {
    nomor: s('nomor', 120),
    tanggal: s('tanggal', 10),
    tempat: s('tempat', 80),
    penandatangan: s('penandatangan', 200),
    nip: s('nip', 18),
    jabatan: s('jabatan', 200),
  };
  const errors: Record<string, string> = {};
  if (!letter.nomor) errors['l-nomor'] = 'Isi nomor pengumuman';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(letter.tanggal) || Number.isNaN(Date.parse(letter.tanggal)))
    errors['l-tanggal'] = 'Isi tanggal pengumuman';
  if (!letter.tempat) errors['l-tempat'] = 'Isi tempat penetapan (mis. Medan)';
  if (!letter.penandatangan) errors['l-penandatangan'] = 'Isi nama penandatangan';
  if (letter.nip && !/^\d{18}$/.test(letter.nip)) errors['l-nip'] = 'NIP penandatangan 18 angka';
  if (!letter.jabatan) errors['l-jabatan'] = 'Isi jabatan penandatangan';
  return { letter, errors };
}

export interface FormationGroup {
  formationId: string;
  title: string;
  rows: (AnnouncementRow & { resultLabel: string })[];
}

/** The rows per formation, each formation named by its jabatan and unit. */
export function groupsOf(a: Announcement, config: RoundConfig): FormationGroup[] {
  const groups = new Map<string, FormationGroup>();
  for (const r of a.rows) {
    let g = groups.get(r.formationId);
    if (!g) {
      const f = config.formations.find((x) => x.formationId === r.formationId);
      g = { formationId: r.formationId, title: f ? `${f.jabatan} — ${f.unit}` : r.formationId, rows: [] };
      groups.set(r.formationId, g);
    }
    g.rows.push({ ...r, resultLabel: RESULT_LABEL[r.result] ?? r.result });
  }
  return [...groups.values()];
}

const COLUMNS = [
  { label: 'No', width: 28 },
  { label: 'Nomor pendaftaran', width: 92 },
  { label: 'Nama', width: 130 },
  { label: 'NIK', width: 92 },
  { label: 'Nilai', width: 70 },
  { label: 'Hasil', width: 87 },
] as const;

function drawRow(doc: PDFKit.PDFDocument, cells: string[], x: number, bold: boolean): void {
  const y = doc.y;
  doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8);
  let cx = x;
  let h = 0;
  cells.forEach((c, i) => {
    const w = COLUMNS[i]!.width;
    h = Math.max(h, doc.heightOfString(c, { width: w - 4 }));
    doc.text(c, cx + 2, y + 2, { width: w - 4 });
    cx += w;
  });
  doc
    .moveTo(x, y + h + 4)
    .lineTo(cx, y + h + 4)
    .lineWidth(0.5)
    .strokeColor('#999999')
    .stroke();
  doc.x = x;
  doc.y = y + h + 6;
}

function drawLetterhead(doc: PDFKit.PDFDocument, a: Announcement, letter: Letter, agency: string): void {
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  doc.font('Helvetica-Bold').fontSize(14).text(agency.toUpperCase(), left, 40, { width, align: 'center' });
  doc.font('Helvetica').fontSize(10).text(a.roundName, { width, align: 'center' });
  const y = doc.y + 4;
  doc
    .moveTo(left, y)
    .lineTo(left + width, y)
    .lineWidth(2)
    .strokeColor('#000000')
    .stroke();
  doc.moveDown(1);
  doc.font('Helvetica-Bold').fontSize(12).text(a.title.toUpperCase(), left, doc.y, { width, align: 'center' });
  doc.font('Helvetica').fontSize(10).text(`Nomor: ${letter.nomor}`, { width, align: 'center' });
  doc.moveDown(0.8);
  doc
    .fontSize(9)
    .text(
      'NIK ditampilkan tersamar untuk melindungi data pribadi. Pelamar dapat mengajukan sanggah melalui portal dalam masa sanggah yang ditetapkan.',
      { width },
    );
  doc.moveDown(0.5);
}

/** The announcement as a PDF (A4), the letterhead on the first page, a header row on every page. */
export function announcementPdf(a: Announcement, groups: FormationGroup[], letter: Letter): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 48,
    info: { Title: `${a.title} — ${a.roundName}`, Author: a.agency, Subject: letter.nomor },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const left = doc.page.margins.left;
  const bottom = doc.page.height - doc.page.margins.bottom - 20;
  drawLetterhead(doc, a, letter, a.agency);
  const header = COLUMNS.map((c) => c.label);
  for (const g of groups) {
    if (doc.y > bottom - 60) doc.addPage();
    doc.font('Helvetica-Bold').fontSize(10).text(`Formasi: ${g.title}`, left, doc.y);
    doc.moveDown(0.3);
    drawRow(doc, header, left, true);
    g.rows.forEach((r, i) => {
      if (doc.y > bottom) {
        doc.addPage();
        drawRow(doc, header, left, true);
      }
      drawRow(doc, [String(i + 1), r.registrationNo, r.name, r.nik, r.score ?? '-', r.resultLabel], left, false);
    });
    doc.moveDown(0.8);
  }
  if (!groups.length) doc.font('Helvetica').fontSize(10).text('Belum ada data untuk pengumuman ini.', left);
  if (doc.y > bottom - 90) doc.addPage();
  const sx = left + 280;
  doc.font('Helvetica').fontSize(10);
  doc.text(`${letter.tempat}, ${tanggal(letter.tanggal)}`, sx, doc.y + 10, { width: 220 });
  doc.text(letter.jabatan, sx, doc.y, { width: 220 });
  doc.moveDown(3);
  doc.font('Helvetica-Bold').text(letter.penandatangan, sx, doc.y, { width: 220 });
  if (letter.nip) doc.font('Helvetica').text(`NIP ${letter.nip}`, sx, doc.y, { width: 220 });
  doc.end();
  return done;
}
