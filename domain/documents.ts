import { type RuleViolation, violation } from './errors';

export const DOCUMENT_KINDS = [
  'pas_foto',
  'swafoto',
  'ktp',
  'ijazah',
  'transkrip',
  'surat_lamaran',
  'str',
  'serdik',
  'pendukung',
] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];
export type FileType = 'jpeg' | 'pdf';

export interface DocumentRule {
  type: FileType;
  maxBytes: number;
  label: string;
}

const KB = 1024;
/** SSCASN 2024 limits. Configurable per round. */
export const DEFAULT_DOCUMENT_RULES: Record<DocumentKind, DocumentRule> = {
  pas_foto: { type: 'jpeg', maxBytes: 200 * KB, label: 'Pas foto' },
  swafoto: { type: 'jpeg', maxBytes: 200 * KB, label: 'Swafoto' },
  ktp: { type: 'jpeg', maxBytes: 200 * KB, label: 'KTP' },
  ijazah: { type: 'pdf', maxBytes: 800 * KB, label: 'Ijazah' },
  transkrip: { type: 'pdf', maxBytes: 500 * KB, label: 'Transkrip nilai' },
  surat_lamaran: { type: 'pdf', maxBytes: 300 * KB, label: 'Surat lamaran' },
  str: { type: 'pdf', maxBytes: 800 * KB, label: 'STR' },
  serdik: { type: 'pdf', maxBytes: 800 * KB, label: 'Sertifikat pendidik' },
  pendukung: { type: 'pdf', maxBytes: 800 * KB, label: 'Dokumen pendukung' },
};

export const DEFAULT_REQUIRED_DOCUMENTS: DocumentKind[] = [
  'pas_foto',
  'swafoto',
  'ktp',
  'ijazah',
  'transkrip',
  'surat_lamaran',
];

/** The formation's list: the round's base list plus the formation's extra documents, deduplicated. */
export function requiredDocuments(
  formation: { extraDocuments?: DocumentKind[] },
  base: DocumentKind[] = DEFAULT_REQUIRED_DOCUMENTS,
): DocumentKind[] {
  return [...new Set([...base, ...(formation.extraDocuments ?? [])])];
}

/** The real type from the first bytes, never from the name. */
export function detectFileType(head: Uint8Array): FileType | undefined {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (
    head.length >= 5 &&
    head[0] === 0x25 &&
    head[1] === 0x50 &&
    head[2] === 0x44 &&
    head[3] === 0x46 &&
    head[4] === 0x2d
  )
    return 'pdf';
  return undefined;
}

export function validateDocument(
  kind: DocumentKind,
  file: { size: number; head: Uint8Array },
  rules: Record<DocumentKind, DocumentRule> = DEFAULT_DOCUMENT_RULES,
): RuleViolation[] {
  const rule = rules[kind];
  const errors: RuleViolation[] = [];
  if (file.size === 0) return [violation('FILE_EMPTY', `${rule.label}: berkas kosong`, kind)];
  const type = detectFileType(file.head);
  if (type !== rule.type) {
    errors.push(
      violation(
        'FILE_TYPE',
        `${rule.label} harus berkas ${rule.type.toUpperCase()} (isi berkas: ${type ?? 'tidak dikenal'})`,
        kind,
        { expected: rule.type, actual: type ?? null },
      ),
    );
  }
  if (file.size > rule.maxBytes) {
    errors.push(
      violation('FILE_TOO_LARGE', `${rule.label} melebihi ${rule.maxBytes / KB} KB`, kind, {
        maxBytes: rule.maxBytes,
        size: file.size,
      }),
    );
  }
  return errors;
}

/** Which required documents are missing from a submission. */
export function missingDocuments(required: DocumentKind[], submitted: DocumentKind[]): DocumentKind[] {
  const have = new Set(submitted);
  return required.filter((k) => !have.has(k));
}
