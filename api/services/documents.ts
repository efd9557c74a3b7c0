import { createHash } from 'node:crypto';
import { DOCUMENT_KINDS, type DocumentKind, detectFileType, type RoundConfig, validateDocument } from '../../domain';
import {
  candidateStatusQuery,
  candidateWorkflowId,
  submitDocumentsUpdate,
  type CandidateStatus,
  type DocumentRef,
} from '../../contracts';
import { AppError, notFound } from '../errors';
import { candidateStatusFromDb } from './candidate-read';
import { QUERY_TIMEOUT_MS, type ServiceDeps } from './deps';

/** The application (`a`) of a registration number, joined to its round (`r`). */
export const applicationWithRound = (deps: ServiceDeps, registrationNo: string) =>
  deps.db
    .selectFrom('applications as a')
    .innerJoin('rounds as r', 'r.round_id', 'a.round_id')
    .where('a.registration_no', '=', registrationNo);

export async function applicationOf(
  deps: ServiceDeps,
  registrationNo: string,
): Promise<{ roundId: string; formationId: string; config: RoundConfig }> {
  const row = await applicationWithRound(deps, registrationNo)
    .select(['a.round_id', 'a.formation_id', 'r.config'])
    .executeTakeFirst();
  if (!row) throw notFound('Pendaftaran', registrationNo);
  return { roundId: row.round_id, formationId: row.formation_id, config: row.config as RoundConfig };
}

/**
 * Stores one uploaded file: type from its bytes, size within the kind's limit, sha256 kept.
 * The same file for the same kind twice is idempotent (one blob, one row).
 */
export async function storeDocument(
  deps: ServiceDeps,
  registrationNo: string,
  kind: string,
  content: Buffer,
): Promise<DocumentRef & { size: number; fileType: string }> {
  if (!(DOCUMENT_KINDS as readonly string[]).includes(kind))
    throw new AppError(400, 'DOCUMENT_KIND_UNKNOWN', `Jenis dokumen tidak dikenal: ${kind}`, {
      allowed: DOCUMENT_KINDS,
    });
  const { config } = await applicationOf(deps, registrationNo);
  const errors = validateDocument(
    kind as DocumentKind,
    { size: content.length, head: content.subarray(0, 8) },
    config.documentRules,
  );
  if (errors.length) {
    const tooLarge = errors.some((e) => e.code === 'FILE_TOO_LARGE');
    throw new AppError(
      tooLarge ? 413 : 422,
      tooLarge ? 'FILE_TOO_LARGE' : errors[0]!.code,
      errors.map((e) => e.message).join('; '),
      errors,
    );
  }
  const fileType = detectFileType(content.subarray(0, 8))!;
  const sha256 = createHash('sha256').update(content).digest('hex');
  await deps.db
    .insertInto('document_blobs')
    .values({ sha256, content, size: content.length, file_type: fileType })
    .onConflict((oc) => oc.column('sha256').doNothing())
    .execute();
  await deps.db
    .insertInto('documents')
    .values({ registration_no: registrationNo, kind, sha256, size: content.length, file_type: fileType })
    .onConflict((oc) => oc.columns(['registration_no', 'kind', 'sha256']).doNothing())
    .execute();
  const row = await deps.db
    .selectFrom('documents')
    .select(['document_id'])
    .where('registration_no', '=', registrationNo)
    .where('kind', '=', kind)
    .where('sha256', '=', sha256)
    .executeTakeFirstOrThrow();
  return { kind: kind as DocumentKind, documentId: String(row.document_id), sha256, size: content.length, fileType };
}

/** Submits uploaded documents (by id) to the candidate's workflow; the workflow validates completeness and timing. */
export async function submitDocuments(
  deps: ServiceDeps,
  registrationNo: string,
  documentIds: string[],
  updateId?: string,
): Promise<CandidateStatus> {
  await applicationOf(deps, registrationNo);
  const ids = [...new Set(documentIds)];
  const rows = ids.length
    ? await deps.db
        .selectFrom('documents')
        .select(['document_id', 'kind', 'sha256'])
        .where('registration_no', '=', registrationNo)
        .where('document_id', 'in', ids)
        .execute()
    : [];
  if (rows.length !== ids.length) {
    const found = new Set(rows.map((r) => String(r.document_id)));
    throw new AppError(422, 'DOCUMENT_UNKNOWN', 'Dokumen tidak ditemukan pada pendaftaran ini', {
      unknown: ids.filter((i) => !found.has(i)),
    });
  }
  // In the order the candidate gave them (the database answers in its own order): the decision
  // recorded for the submission names them, and the same submission must read the same.
  rows.sort((a, b) => ids.indexOf(String(a.document_id)) - ids.indexOf(String(b.document_id)));
  const documents: DocumentRef[] = rows.map((r) => ({
    kind: r.kind as DocumentKind,
    documentId: String(r.document_id),
    sha256: r.sha256,
  }));
  return deps.client.workflow
    .getHandle(candidateWorkflowId(registrationNo))
    .executeUpdate(submitDocumentsUpdate, { args: [{ documents }], ...(updateId ? { updateId } : {}) });
}

/** What the API answers for a candidate: read from PostgreSQL (candidate-read.ts), never a workflow query. */
export async function candidateStatus(deps: ServiceDeps, registrationNo: string): Promise<CandidateStatus> {
  return candidateStatusFromDb(deps, registrationNo);
}

/** The candidate workflow's own state (its status query): for tests and operators' diagnosis, not for the API. */
export async function candidateWorkflowStatus(deps: ServiceDeps, registrationNo: string): Promise<CandidateStatus> {
  await applicationOf(deps, registrationNo);
  return deps.client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
    deps.client.workflow.getHandle(candidateWorkflowId(registrationNo)).query(candidateStatusQuery),
  );
}
