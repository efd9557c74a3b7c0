import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { DEFAULT_DOCUMENT_RULES, type DocumentKind } from '../../domain';
import type { CandidateStatus } from '../../contracts';
import { AppError } from '../errors';
import { assertCanSeeRegistration, assertOwnRegistration } from '../plugins/access';
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
import { register, type RegistrationRequest } from '../services/registrations';
import { idempotencyKey, updateIdOf } from '../plugins/idempotency';
import { fileSanggah, submitDrh } from '../services/reviews';
import { registrationCard } from '../services/card';

const Status = Type.Unsafe<CandidateStatus>(CandidateStatusSchema);
/** An Update of the candidate workflow: the status after it, or the rule it broke. */
const updated = {
  200: Type.Unsafe<CandidateStatus>({ ...CandidateStatusSchema, description: 'The candidate status after the change' }),
  ...errors(404, 409, 422),
};

export const registrationRoutes: FastifyPluginAsyncTypebox<{
  deps: ServiceDeps;
  rateLimit: { max: number; timeWindow: number };
}> = async (app, { deps, rateLimit }) => {
  app.post(
    '/rounds/:roundId/registrations',
    {
      config: { access: 'public', rateLimit: { max: rateLimit.max, timeWindow: rateLimit.timeWindow } },
      schema: {
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
      },
    },
    async (req, reply) => {
      const r = await register(deps, req.params.roundId, req.body as RegistrationRequest, {
        idempotencyKey: idempotencyKey(req),
      });
      return reply.status(r.workflowPending ? 202 : 201).send(r);
    },
  );

  app.get(
    '/registrations/:registrationNo',
    {
      config: { access: ['candidate', 'hr', 'reviewer', 'auditor'] },
      schema: {
        tags: ['registrations'],
        summary: "An application's status (the candidate sees only their own)",
        params: RegistrationNoParams,
        response: { 200: Status, ...errors(404) },
      },
    },
    async (req) => {
      await assertCanSeeRegistration(deps, req, req.params.registrationNo);
      return candidateStatus(deps, req.params.registrationNo);
    },
  );

  app.get(
    '/registrations/:registrationNo/card.pdf',
    {
      config: { access: ['candidate', 'hr'] },
      schema: {
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
      },
    },
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

  app.post(
    '/registrations/:registrationNo/documents/:kind',
    {
      config: {
        access: ['candidate'],
        swaggerTransform: documentedBody({
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
        }),
      },
      schema: {
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
      },
    },
    async (req, reply) => {
      assertOwnRegistration(req, req.params.registrationNo);
      if (!req.isMultipart())
        throw new AppError(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'Unggah berkas sebagai multipart/form-data dengan kolom "file"',
        );
      const { config } = await applicationOf(deps, req.params.registrationNo);
      const rule = (config.documentRules ?? DEFAULT_DOCUMENT_RULES)[req.params.kind as DocumentKind];
      // The stream is cut off at the kind's limit: an oversized file is never read whole.
      const file = await req.file({ limits: { fileSize: rule.maxBytes, files: 1, fields: 5 } });
      if (!file) throw new AppError(400, 'FILE_MISSING', 'Kolom "file" tidak ada');
      let content: Buffer;
      try {
        content = await file.toBuffer();
      } catch (err) {
        if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE')
          throw new AppError(413, 'FILE_TOO_LARGE', `${rule.label} melebihi ${rule.maxBytes / 1024} KB`, {
            maxBytes: rule.maxBytes,
          });
        throw err;
      }
      const stored = await storeDocument(deps, req.params.registrationNo, req.params.kind, content);
      return reply.status(201).send({
        documentId: stored.documentId,
        kind: stored.kind,
        sha256: stored.sha256,
        size: stored.size,
        fileType: stored.fileType,
      });
    },
  );

  app.post(
    '/registrations/:registrationNo/documents/submit',
    {
      config: { access: ['candidate'] },
      schema: {
        tags: ['documents'],
        summary: 'Submit the uploaded documents (before registration closes)',
        params: RegistrationNoParams,
        body: SubmitDocumentsBody,
        headers: IdempotencyHeaders,
        response: updated,
      },
    },
    async (req) => {
      assertOwnRegistration(req, req.params.registrationNo);
      return submitDocuments(deps, req.params.registrationNo, req.body.documentIds, updateIdOf(req, 'submitDocuments'));
    },
  );

  app.post(
    '/registrations/:registrationNo/sanggah',
    {
      config: { access: ['candidate'] },
      schema: {
        tags: ['sanggah'],
        summary: 'Appeal once, inside the window, with a text reason (no new documents)',
        params: RegistrationNoParams,
        body: SanggahBody,
        headers: IdempotencyHeaders,
        response: updated,
      },
    },
    async (req) => {
      assertOwnRegistration(req, req.params.registrationNo);
      return fileSanggah(deps, req.params.registrationNo, req.body.reason, updateIdOf(req, 'fileSanggah'));
    },
  );

  app.post(
    '/registrations/:registrationNo/drh',
    {
      config: { access: ['candidate'] },
      schema: {
        tags: ['appointment'],
        summary: 'Fill in the DRH before its deadline',
        params: RegistrationNoParams,
        body: DrhBody,
        headers: IdempotencyHeaders,
        response: updated,
      },
    },
    async (req) => {
      assertOwnRegistration(req, req.params.registrationNo);
      return submitDrh(deps, req.params.registrationNo, req.body.drh, updateIdOf(req, 'submitDrh'));
    },
  );
};
