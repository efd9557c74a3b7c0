import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import type { TSchema } from '@fastify/type-provider-typebox';
import { verifyChain } from '../../db/audit';
import { auditPublicKeys, auditSigner } from '../../config/audit-signing';
import { assertCanSeeRegistration } from '../plugins/access';
import { errors, Id, PlainText, TextBody } from '../schemas/common';
import { HistorySchema, RederiveSchema, ReplaySchema, TimelineEntrySchema } from '../schemas/responses';
import { RegistrationNoParams } from '../schemas/candidate';
import { RoundIdParams } from '../schemas/round';
import { pageOfArray } from '../services/paging';
import { PageOf, PageQuery } from '../schemas/page';
import {
  assertWorkflowId,
  candidateTimeline,
  exportHistory,
  exportRoundHistories,
  rederiveRound,
  replayHistories,
  replaySummary,
  roundWorkflowIds,
  verifyAll,
  verifyCareerChain,
} from '../services/audit';
import type { ServiceDeps } from '../services/deps';
import { loadRoundConfig } from '../services/registrations';
import { assertKnownUnit } from '../services/ratings';
import { unitChain } from '../../contracts';
import { AppError } from '../errors';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const ChainProblem = Type.Union(
  [
    Type.Literal('edited_row'),
    Type.Literal('prev_hash'),
    Type.Literal('gap'),
    Type.Literal('rows_deleted_after_head'),
    Type.Literal('chain_recomputed'),
    Type.Literal('invalid_signature'),
  ],
  {
    description:
      'edited_row: a row whose hash does not match its content; prev_hash/gap: a row unlinked or missing in the middle; rows_deleted_after_head: the chain ends before the signed head; chain_recomputed: consistent, but another hash than the signed head at its seq; invalid_signature: a signed head whose signature does not verify',
  },
);
const AnchorStatus = Type.Union([
  Type.Literal('intact'),
  Type.Literal('not_anchored'),
  Type.Literal('invalid_signature'),
  Type.Literal('rows_deleted_after_head'),
  Type.Literal('chain_recomputed'),
]);

/** A signed head of an audit chain (config/audit-signing.ts). */
export const AuditCheckpointSchema = Type.Object(
  {
    chain: Type.String({ description: 'the chain, e.g. round:<roundId> or career:<nip>' }),
    seq: Type.Integer({ description: "the head row's seq (0: empty chain)" }),
    hash: Type.String({ description: "the head row's hash (SHA-256, hex)" }),
    rows: Type.Integer({ description: 'rows in the chain when signed' }),
    signedAt: Type.String(),
    keyId: Type.String(),
    signature: Type.String({ description: 'base64 Ed25519 signature over the canonical JSON of the other fields' }),
  },
  { description: 'A signed checkpoint, as recorded in the Temporal history' },
);

/** One chain's verification (db/audit.ts ChainVerification). */
export const ChainVerificationSchema = Type.Object({
  chain: Type.String(),
  rows: Type.Integer(),
  ok: Type.Boolean({ description: 'true only when every row is intact and the chain still holds the signed head(s)' }),
  firstBroken: Type.Optional(Type.Object({ seq: Type.Integer(), id: Nullable(Type.String()), problem: ChainProblem })),
  anchor: Type.Optional(
    Type.Object({
      status: AnchorStatus,
      head: Nullable(AuditCheckpointSchema),
      source: Nullable(Type.String({ description: 'the workflow whose history holds the head' })),
      checkpoints: Type.Integer({ description: 'signed heads found in that history' }),
      rowsAfterHead: Type.Integer({
        description: 'rows appended after the latest signed head (not yet covered by a signature)',
      }),
    }),
  ),
  problems: Type.Array(
    Type.Object({
      problem: ChainProblem,
      seq: Nullable(Type.Integer()),
      id: Nullable(Type.String()),
      message: Type.String(),
    }),
  ),
});

/** GET /rounds/:roundId/audit/verify: the round chain's fields (as before), plus every career of the round. */
export const RoundAuditVerificationSchema = Type.Object({
  ...ChainVerificationSchema.properties,
  allOk: Type.Boolean({ description: "the round's chain and every career chain intact" }),
  careers: Type.Array(ChainVerificationSchema),
});

/** GET /rounds/:roundId/audit/verify-all (and a verify job's result): the round's chain and every career's. */
export const RoundVerifyAllSchema = Type.Object({
  allOk: Type.Boolean(),
  round: ChainVerificationSchema,
  careers: Type.Array(ChainVerificationSchema),
});

type App = Parameters<FastifyPluginAsyncTypebox>[0];

function historyRoutes(app: App, deps: ServiceDeps): void {
  app.get(
    '/audit/history',
    {
      config: { access: ['auditor'] },
      schema: {
        tags: ['audit'],
        summary: "One workflow's history as JSON",
        querystring: Type.Object(
          {
            workflowId: PlainText({
              minLength: 3,
              maxLength: 140,
              description: 'round/<roundId>, candidate/<registrationNo> or career/<careerId>',
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Unsafe<string>(HistorySchema), ...errors(404) },
      },
    },
    async (req, reply) =>
      // A protobuf History: JSON.stringify applies its toJSON (Temporal's JSON form), as before.
      reply
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(await exportHistory(deps, req.query.workflowId))),
  );

  app.get(
    '/rounds/:roundId/histories',
    {
      config: { access: ['auditor'] },
      schema: {
        tags: ['audit'],
        summary: "A round's histories as one NDJSON bundle (the round and every candidate)",
        params: RoundIdParams,
        response: {
          200: TextBody('One JSON history per line: the round first, then every candidate', 'application/x-ndjson'),
          ...errors(404),
        },
      },
    },
    async (req, reply) => {
      await loadRoundConfig(deps, req.params.roundId);
      const lines: string[] = [];
      for await (const line of exportRoundHistories(deps, req.params.roundId)) lines.push(line);
      return reply.type('application/x-ndjson').send(lines.join(''));
    },
  );
}

function replayRoute(app: App, deps: ServiceDeps, bundlePath: string | undefined): void {
  app.post(
    '/audit/replay',
    {
      config: { access: ['auditor'] },
      schema: {
        tags: ['audit'],
        summary: 'Replay a workflow or a whole round on the current code: ok, or the determinism violation',
        body: Type.Object(
          { workflowId: Type.Optional(PlainText({ minLength: 3, maxLength: 140 })), roundId: Type.Optional(Id) },
          {
            additionalProperties: false,
            examples: [{ roundId: 'medan-2025' }, { workflowId: 'candidate/202500000001' }],
          },
        ),
        response: {
          200: ReplaySchema,
          ...errors(404, [
            503,
            'REPLAY_UNAVAILABLE: no workflow bundle on this server; or PostgreSQL/Temporal unavailable',
          ]),
        },
      },
    },
    async (req) => {
      if (!bundlePath)
        throw new AppError(503, 'REPLAY_UNAVAILABLE', 'Paket kode alur kerja tidak tersedia pada server ini');
      let ids: string[];
      if (req.body.workflowId) {
        assertWorkflowId(req.body.workflowId);
        ids = [req.body.workflowId];
      } else if (req.body.roundId) {
        await loadRoundConfig(deps, req.body.roundId);
        ids = await roundWorkflowIds(deps.db, req.body.roundId);
      } else throw new AppError(400, 'VALIDATION_FAILED', 'workflowId atau roundId wajib');
      return replaySummary(await replayHistories(deps, ids, bundlePath, undefined, { threads: 0 }));
    },
  );
}

function timelineAndRederiveRoutes(app: App, deps: ServiceDeps): void {
  app.get(
    '/registrations/:registrationNo/timeline',
    {
      config: { access: ['auditor', 'hr', 'candidate'] },
      schema: {
        tags: ['audit'],
        summary: 'Every decision about a candidate, readable (Bahasa Indonesia), from the workflow history',
        params: RegistrationNoParams,
        querystring: PageQuery,
        response: { 200: PageOf(TimelineEntrySchema, 'The decisions in order'), ...errors(404) },
      },
    },
    async (req) => {
      await assertCanSeeRegistration(deps, req, req.params.registrationNo);
      return pageOfArray(await candidateTimeline(deps, req.params.registrationNo), req.query);
    },
  );

  app.get(
    '/rounds/:roundId/rederive',
    {
      config: { access: ['auditor'] },
      schema: {
        tags: ['audit'],
        summary:
          'Recompute SKD pass/fail, SKB cut, final ranks, optimalisasi and NIPs from the recorded inputs; list every difference',
        params: RoundIdParams,
        response: { 200: RederiveSchema, ...errors(404) },
      },
    },
    async (req) => {
      const { config } = await loadRoundConfig(deps, req.params.roundId);
      return rederiveRound(deps.db, config);
    },
  );
}

function verifyRoutes(app: App, deps: ServiceDeps): void {
  app.get(
    '/rounds/:roundId/audit/verify-all',
    {
      config: { access: ['auditor'] },
      schema: {
        tags: ['audit'],
        summary: "Verify the round's chain and every appointed career's chain against their signed heads",
        params: RoundIdParams,
        response: { 200: RoundVerifyAllSchema, ...errors(404) },
      },
    },
    async (req) => verifyAll(deps, req.params.roundId),
  );

  app.get(
    '/careers/:nip/audit/verify',
    {
      config: { access: ['auditor', 'hr'] },
      schema: {
        tags: ['audit'],
        summary: "Verify a career's audit chain against the signed heads in the career's history",
        params: Type.Object({ nip: Type.String({ pattern: '^\\d{18}$' }) }, { additionalProperties: false }),
        response: { 200: ChainVerificationSchema, ...errors(404) },
      },
    },
    async (req) => verifyCareerChain(deps, req.params.nip),
  );

  app.get(
    '/units/:unit/audit/verify',
    {
      config: { access: ['auditor', 'hr'] },
      schema: {
        tags: ['audit'],
        summary: "Verify a unit's audit chain (unit:<unit>: every change of its own ratings, with who and why)",
        params: Type.Object({ unit: PlainText({ maxLength: 200 }) }, { additionalProperties: false }),
        response: {
          200: ChainVerificationSchema,
          ...errors([422, 'UNKNOWN_UNIT: no formation of a recorded round has this unit']),
        },
      },
    },
    async (req) => {
      await assertKnownUnit(deps, req.params.unit);
      return verifyChain(deps.db, unitChain(req.params.unit));
    },
  );
}

function keysRoute(app: App): void {
  app.get(
    '/audit/keys',
    {
      config: { access: 'public' },
      schema: {
        tags: ['audit'],
        summary: 'The public keys that verify the signed audit checkpoints (Ed25519, SPKI DER in base64)',
        security: [],
        response: {
          200: Type.Object({
            active: Type.String(),
            keys: Type.Array(
              Type.Object({ keyId: Type.String(), algorithm: Type.Literal('Ed25519'), publicKey: Type.String() }),
            ),
          }),
        },
      },
    },
    async () => ({ active: auditSigner().activeKeyId, keys: auditPublicKeys() }),
  );
}

export const auditRoutes: FastifyPluginAsyncTypebox<{ deps: ServiceDeps; bundlePath?: string }> = async (
  app,
  { deps, bundlePath },
) => {
  historyRoutes(app, deps);
  replayRoute(app, deps, bundlePath);
  timelineAndRederiveRoutes(app, deps);
  verifyRoutes(app, deps);
  keysRoute(app);
};
