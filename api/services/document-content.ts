import type { User } from '../../db/users';
import { AppError, notFound } from '../errors';
import type { ServiceDeps } from './deps';
import { hasTaskFor } from './people';

/** Content types of the stored file types (detected from the bytes at upload, api/services/documents.ts). */
export const CONTENT_TYPE: Record<string, string> = { pdf: 'application/pdf', jpeg: 'image/jpeg', png: 'image/png' };

export interface DocumentContent {
  documentId: string;
  registrationNo: string;
  kind: string;
  fileType: string;
  contentType: string;
  sha256: string;
  content: Buffer;
}

/**
 * An uploaded document's bytes (document_blobs), for the staff who check it: HR and auditors any;
 * a reviewer only one of an application with a task assigned to them (open or already decided,
 * so the decision can be looked at again). Everyone else: 403 (candidates see their documents in
 * the portal's own pages, not here). Unknown id: 404.
 */
export async function documentContent(
  deps: ServiceDeps,
  user: User | null,
  documentId: string,
): Promise<DocumentContent> {
  if (!user) throw new AppError(401, 'UNAUTHENTICATED', 'Login diperlukan');
  if (!/^[0-9]{1,18}$/.test(documentId)) throw notFound('Dokumen', documentId.slice(0, 40));
  if (user.role !== 'hr' && user.role !== 'auditor' && user.role !== 'reviewer')
    throw new AppError(403, 'FORBIDDEN', 'Dokumen pelamar hanya untuk peninjau yang ditugaskan, SDM dan auditor');
  const row = await deps.db
    .selectFrom('documents')
    .innerJoin('document_blobs', 'document_blobs.sha256', 'documents.sha256')
    .select([
      'documents.document_id',
      'documents.registration_no',
      'documents.kind',
      'documents.sha256',
      'document_blobs.file_type',
      'document_blobs.content',
    ])
    .where('documents.document_id', '=', documentId)
    .executeTakeFirst();
  if (!row) throw notFound('Dokumen', documentId);
  if (user.role === 'reviewer' && !(await hasTaskFor(deps, row.registration_no, user.username)))
    throw new AppError(403, 'NOT_ASSIGNED', 'Dokumen ini bukan dari pelamar yang ditugaskan kepada Anda');
  const contentType = CONTENT_TYPE[row.file_type];
  if (!contentType)
    throw new AppError(415, 'UNSUPPORTED_FILE_TYPE', `Jenis berkas ${row.file_type} tidak dapat ditampilkan`);
  return {
    documentId: String(row.document_id),
    registrationNo: row.registration_no,
    kind: row.kind,
    fileType: row.file_type,
    contentType,
    sha256: row.sha256,
    content: row.content,
  };
}
