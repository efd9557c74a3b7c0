import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { DEFAULT_DOCUMENT_RULES, type DocumentKind } from '../../domain';
import type { CandidateStatus } from '../../contracts';
import { AppError } from '../errors';
import { asOwner, assertCanSeeRegistration, assertOwnRegistration } from '../plugins/access';
import { documentedBody } from '../openapi';
import { errors } from '../schemas/common';
import { CandidateStatusSchema } from '../schemas/responses';
import {
  DocumentKindParams,
  DrhBody,
  IdempotencyHeaders,
  RegistrationBody,
  RegistrationCreated,
  RegistrationNoParams,
  SanggahBody,
  SubmitDocumentsBody,
} from '../schemas/candidate';
import { RoundIdParams } from '../schemas/round';
import type { ServiceDeps } from '../services/deps';
import { applicationOf, candidateStatus, storeDocument, submitDocuments } from '../services/documents';
import { flushStartedMarks, register, type RegistrationRequest } from '../services/registrations';
import { idempotencyKey, updateIdOf } from '../plugins/idempotency';
import { fileSanggah, submitDrh } from '../services/reviews';
import { registrationCard } from '../services/card';

const Status = Type.Unsafe<CandidateStatus>(CandidateStatusSchema);
/** An Update of the candidate workflow: the status after it, or the rule it broke. */
const updated = {
  200: Type.Unsafe<CandidateStatus>({ ...CandidateStatusSchema, description: 'The candidate status after the change' }),
  ...errors(404, 409, 422),
};

type App = Parameters<FastifyPluginAsyncTypebox>[0];

const RegisterSchema = {
  tags: ['registrations'],
  summary:
    'Register online (returns the registration number and a candidate token, once; 202 while its workflow is still to start)',
  params: RoundIdParams,
  body: RegistrationBody,
  headers: IdempotencyHeaders,
  response: {
    201: {
      ...RegistrationCreated,
      description: 'Registered: the registration number and, once, the candidate token',
    },
    202: { ...RegistrationCreated, description: 'Registered; its workflow starts shortly' },
    ...errors(
      404,
      [409, 'WRONG_PHASE: registration is not open; DUPLICATE: already registered'],
      [422, 'NIK_INVALID, NOT_ELIGIBLE, IDEMPOTENCY_KEY_REUSED, …: every problem in details'],
    ),
  },
};
const StatusRouteSchema = {
  tags: ['registrations'],
  summary: "An application's status (the candidate sees only their own)",
  params: RegistrationNoParams,
  response: { 200: Status, ...errors(404) },
};
const CardSchema = {
  tags: ['registrations'],
  summary:
    'The registration card (kartu pendaftaran) as a PDF, with a QR code of the registration number (the candidate sees only their own)',
  params: RegistrationNoParams,
  response: {
    200: {
      description: 'the card, A4',
      content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
    },
    ...errors(404),
  },
};
const UploadSchema = {
  tags: ['documents'],
  summary: 'Upload one document (multipart, field "file"); type from its bytes, per-kind size limit, sha256 kept',
  params: DocumentKindParams,
  consumes: ['multipart/form-data'],
  response: {
    201: Type.Object(
      {
        documentId: Type.String(),
        kind: Type.String(),
        sha256: Type.String(),
        size: Type.Integer(),
        fileType: Type.String(),
      },
      { description: 'Stored; submit its documentId with the others' },
    ),
    ...errors(
      404,
      [409, 'WRONG_PHASE: uploads are closed'],
      [413, 'FILE_TOO_LARGE: over the limit of this kind of document'],
      [415, 'UNSUPPORTED_MEDIA_TYPE: not multipart/form-data'],
      [422, 'FILE_TYPE: not a type this kind of document allows'],
    ),
  },
};
const UploadBody = documentedBody({
  type: 'object',
  properties: {
    file: {
      type: 'string',
      format: 'binary',
      description: 'the document (PDF, JPEG or PNG; the type is read from its bytes)',
    },
  },
  required: ['file'],
  examples: [{ file: 'ijazah.pdf' }],
});

/** The schema of a candidate's Update of their own application. */
const ownUpdateSchema = <B extends TSchema>(tag: string, summary: string, body: B) => ({
  tags: [tag],
  summary,
  params: RegistrationNoParams,
  body,
  headers: IdempotencyHeaders,
  response: updated,
});
const SubmitSchema = ownUpdateSchema(
  'documents',
  'Submit the uploaded documents (before registration closes)',
  SubmitDocumentsBody,
);
const SanggahSchema = ownUpdateSchema(
  'sanggah',
  'Appeal once, inside the window, with a text reason (no new documents)',
  SanggahBody,
);
const DrhSchema = ownUpdateSchema('appointment', 'Fill in the DRH before its deadline', DrhBody);

export const registrationRoutes: FastifyPluginAsyncTypebox<{
  deps: ServiceDeps;
  rateLimit: { max: number; timeWindow: number };
}> = async (app, { deps, rateLimit }) => {
  // The workflows started by the last registrations, marked before the API's connections close.
  app.addHook('onClose', async () => flushStartedMarks(deps.db));
  app.post(
    '/rounds/:roundId/registrations',
    {
      config: { access: 'public', rateLimit: { max: rateLimit.max, timeWindow: rateLimit.timeWindow } },
      schema: RegisterSchema,
    },
    async (req, reply) => {
      const r = await register(deps, req.params.roundId, req.body as RegistrationRequest, {
        idempotencyKey: idempotencyKey(req),
      });
      return reply.status(r.workflowPending ? 202 : 201).send(r);
    },
  );
  readRoutes(app, deps);
  candidateRoutes(app, deps);
};

/** The application's status and card: the candidate their own, staff any they may see. */
function readRoutes(app: App, deps: ServiceDeps): void {
  app.get(
    '/registrations/:registrationNo',
    { config: { access: ['candidate', 'hr', 'reviewer', 'auditor'] }, schema: StatusRouteSchema },
    async (req) => {
      await assertCanSeeRegistration(deps, req, req.params.registrationNo);
      return candidateStatus(deps, req.params.registrationNo);
    },
  );
  app.get(
    '/registrations/:registrationNo/card.pdf',
    { config: { access: ['candidate', 'hr'] }, schema: CardSchema },
    async (req, reply) => {
      await assertCanSeeRegistration(deps, req, req.params.registrationNo);
      const pdf = await registrationCard(deps, req.params.registrationNo);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="kartu-pendaftaran-${req.params.registrationNo}.pdf"`)
        .header('cache-control', 'private, no-store')
        .send(pdf as unknown as string); // a Buffer is sent as it is (no serializer)
    },
  );
}

/** The candidate's own writes: documents, their submission, the sanggah, the DRH. */
function candidateRoutes(app: App, deps: ServiceDeps): void {
  const own = { access: ['candidate'] as const };
  app.post(
    '/registrations/:registrationNo/documents/:kind',
    { config: { ...own, swaggerTransform: UploadBody }, schema: UploadSchema },
    async (req, reply) => {
      assertOwnRegistration(req, req.params.registrationNo);
      const stored = await storeDocument(deps, req.params.registrationNo, req.params.kind, await readUpload(deps, req));
      return reply.status(201).send({
        documentId: stored.documentId,
        kind: stored.kind,
        sha256: stored.sha256,
        size: stored.size,
        fileType: stored.fileType,
      });
    },
  );
  app.post('/registrations/:registrationNo/documents/submit', { config: own, schema: SubmitSchema }, async (req) =>
    asOwner(req, (no) => submitDocuments(deps, no, req.body.documentIds, updateIdOf(req, 'submitDocuments'))),
  );
  app.post('/registrations/:registrationNo/sanggah', { config: own, schema: SanggahSchema }, async (req) =>
    asOwner(req, (no) => fileSanggah(deps, no, req.body.reason, updateIdOf(req, 'fileSanggah'))),
  );
  app.post('/registrations/:registrationNo/drh', { config: own, schema: DrhSchema }, async (req) =>
    asOwner(req, (no) => submitDrh(deps, no, req.body.drh, updateIdOf(req, 'submitDrh'))),
  );
}

/** The uploaded file's bytes, cut off at its kind's limit: an oversized file is never read whole. */
async function readUpload(
  deps: ServiceDeps,
  req: FastifyRequest & { params: { registrationNo: string; kind: string } },
): Promise<Buffer> {
  if (!req.isMultipart())
    throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unggah berkas sebagai multipart/form-data dengan kolom "file"');
  const { config } = await applicationOf(deps, req.params.registrationNo);
  const rule = (config.documentRules ?? DEFAULT_DOCUMENT_RULES)[req.params.kind as DocumentKind];
  const file = await req.file({ limits: { fileSize: rule.maxBytes, files: 1, fields: 5 } });
  if (!file) throw new AppError(400, 'FILE_MISSING', 'Kolom "file" tidak ada');
  try {
    return await file.toBuffer();
  } catch (err) {
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE')
      throw new AppError(413, 'FILE_TOO_LARGE', `${rule.label} melebihi ${rule.maxBytes / 1024} KB`, {
        maxBytes: rule.maxBytes,
      });
    throw err;
  }
}
