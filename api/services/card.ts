import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { DEFAULT_DOCUMENT_RULES, type DocumentKind, type RoundConfig } from '../../domain';
import { notFound } from '../errors';
import { candidateStatusFromDb } from './candidate-read';
import type { ServiceDeps } from './deps';
import { applicationWithRound } from './documents';

const STAGE_LABEL: Record<string, string> = {
  documents: 'Unggah dokumen',
  verification: 'Verifikasi administrasi',
  sanggah: 'Masa sanggah',
  awaiting_skd: 'Menunggu SKD',
  awaiting_skb_selection: 'Menunggu penetapan peserta SKB',
  awaiting_skb_score: 'Menunggu nilai SKB',
  awaiting_final: 'Menunggu hasil akhir',
  appointment: 'Pengisian DRH dan usul NIP',
  appointed: 'Diangkat (NIP ditetapkan)',
  ended: 'Selesai',
};
export const stageLabel = (stage: string): string => STAGE_LABEL[stage] ?? stage;

/** An instant as WIB for people: "1 Desember 2026 16.21 WIB". */
const MONTHS = [
  'Januari',
  'Februari',
  'Maret',
  'April',
  'Mei',
  'Juni',
  'Juli',
  'Agustus',
  'September',
  'Oktober',
  'November',
  'Desember',
];
export function formatWib(at: Date | string | number): string {
  const d = new Date(new Date(at).getTime() + 7 * 3_600_000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}.${two(d.getUTCMinutes())} WIB`;
}
export function formatDate(iso: string): string {
  const [y, m, day] = iso.slice(0, 10).split('-').map(Number);
  return `${day} ${MONTHS[(m ?? 1) - 1]} ${y}`;
}
/** The NIK on a printed card: region and sequence only (a lost card does not give the birth date away). */
export const maskNik = (nik: string): string => `${nik.slice(0, 6)}••••••${nik.slice(12)}`;

type Doc = InstanceType<typeof PDFDocument>;

/** What the card shows: the application, its round's configuration, its stage and its uploads. */
async function cardData(deps: ServiceDeps, registrationNo: string) {
  const a = await applicationWithRound(deps, registrationNo)
    .select([
      'a.registration_no',
      'a.nik',
      'a.full_name',
      'a.birth_date',
      'a.sex',
      'a.email',
      'a.formation_id',
      'a.category',
      'a.education_level',
      'a.education_program',
      'a.ipk',
      'a.registered_at',
      'r.config',
    ])
    .executeTakeFirst();
  if (!a) throw notFound('Pendaftaran', registrationNo);
  const config = a.config as RoundConfig;
  const formation = config.formations.find((f) => f.formationId === a.formation_id);
  const status = await candidateStatusFromDb(deps, registrationNo);
  const uploads = status.documents.length
    ? await deps.db
        .selectFrom('documents')
        .select(['document_id', 'kind', 'size', 'file_type'])
        .where(
          'document_id',
          'in',
          status.documents.map((d) => d.documentId),
        )
        .execute()
    : [];
  return { a, config, formation, status, uploads };
}
type CardData = Awaited<ReturnType<typeof cardData>>;

/** The QR code, drawn as vector squares (sharp at any print size), top right. */
function drawQr(doc: Doc, registrationNo: string, left: number, width: number): void {
  const qr = QRCode.create(registrationNo, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const quiet = 4;
  const box = 132;
  const cell = box / (size + 2 * quiet);
  const qx = left + width - box;
  const qy = 40;
  doc.rect(qx, qy, box, box).fill('#ffffff');
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++)
      if (qr.modules.get(r, c)) doc.rect(qx + (c + quiet) * cell, qy + (r + quiet) * cell, cell, cell);
  }
  doc.fill('#000000');
  doc.fontSize(8).text('Pindai: nomor pendaftaran', qx, qy + box + 2, { width: box, align: 'center' });
}

/** The candidate's details, one labelled line each; returns where the next section starts. */
function drawDetails(doc: Doc, { a, formation, status }: CardData, left: number, width: number): number {
  const rows: [string, string][] = [
    ['Nama', a.full_name],
    ['NIK', maskNik(a.nik)],
    ['Tanggal lahir', formatDate(a.birth_date)],
    ['Jenis kelamin', a.sex === 'P' ? 'Perempuan' : 'Laki-laki'],
    ['E-mail', a.email],
    ['Formasi', formation ? `${formation.jabatan} — ${formation.unit} (${formation.formationId})` : a.formation_id],
    ['Kategori', a.category],
    ['Pendidikan', `${a.education_level} ${a.education_program}, IPK ${(a.ipk / 100).toFixed(2).replace('.', ',')}`],
    ['Didaftarkan', formatWib(a.registered_at)],
    ['Tahap sekarang', stageLabel(status.stage)],
  ];
  let y = 196;
  doc
    .moveTo(left, y - 8)
    .lineTo(left + width, y - 8)
    .lineWidth(0.5)
    .stroke();
  for (const [k, v] of rows) {
    doc.font('Helvetica').fontSize(10).text(k, left, y, { width: 120 });
    doc.font('Helvetica-Bold').text(v, left + 130, y, { width: width - 130 });
    y = Math.max(doc.y, y + 14) + 4;
  }

  return y;
}

/** The documents sent, each with its type, size and the start of its SHA-256. */
function drawDocuments(
  doc: Doc,
  { config, status, uploads }: CardData,
  left: number,
  width: number,
  top: number,
): void {
  const rules = config.documentRules ?? DEFAULT_DOCUMENT_RULES;
  let y = top;
  y += 10;
  doc.font('Helvetica-Bold').fontSize(12).text('Dokumen yang dikirim', left, y);
  y = doc.y + 4;
  if (!uploads.length) {
    doc.font('Helvetica').fontSize(10).text('Belum ada dokumen yang dikirim.', left, y);
  } else {
    for (const d of status.documents) {
      const u = uploads.find((x) => String(x.document_id) === d.documentId);
      const label = rules[d.kind as DocumentKind]?.label ?? d.kind;
      doc
        .font('Helvetica')
        .fontSize(10)
        .text(
          `${label}: ${u ? `${u.file_type.toUpperCase()}, ${Math.ceil(u.size / 1024)} KB` : '-'} — sha256 ${d.sha256.slice(0, 16)}…`,
          left,
          y,
          { width },
        );
      y = doc.y + 2;
    }
  }
}

/**
 * The kartu pendaftaran (registration resume) as a PDF: who registered for which formation, with
 * which education and documents, and a QR code holding the registration number, which the panel
 * scans at the exam and at document checks.
 */
export async function registrationCard(
  deps: ServiceDeps,
  registrationNo: string,
  printedAt: Date = new Date(),
): Promise<Buffer> {
  const data = await cardData(deps, registrationNo);
  const { config } = data;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 48,
    info: { Title: `Kartu Pendaftaran ${registrationNo}`, Author: config.agency, Subject: config.name },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  doc.font('Helvetica-Bold').fontSize(16).text('KARTU PENDAFTARAN', left, 48);
  doc.font('Helvetica').fontSize(10).text(config.agency).text(`${config.name} — tahun anggaran ${config.budgetYear}`);

  drawQr(doc, registrationNo, left, width);
  doc.font('Helvetica').fontSize(10).text('Nomor pendaftaran', left, 110);
  doc.font('Helvetica-Bold').fontSize(22).text(registrationNo, left, 124, { characterSpacing: 1 });

  drawDocuments(doc, data, left, width, drawDetails(doc, data, left, width));

  doc
    .font('Helvetica')
    .fontSize(8)
    .text(
      `Dicetak ${formatWib(printedAt)}. Bawa kartu ini dan KTP asli pada setiap tahap seleksi. Keaslian kartu diperiksa dengan nomor pendaftaran pada sistem ${config.agency}.`,
      left,
      doc.page.height - doc.page.margins.bottom - 30,
      { width },
    );
  doc.end();
  return done;
}
