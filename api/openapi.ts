import type { FastifySchema, RouteOptions } from 'fastify';
import type { Access } from './plugins/auth';
import { errorSchemaFor } from './schemas/common';

/**
 * What the OpenAPI document says about a route follows from the route itself, in one place, so
 * it cannot drift: `security` from `config.access` (public → `security: []`), the error statuses
 * every route of its kind can answer (401 for a bad token anywhere, 403 on protected routes, 400
 * where there is input to validate, 413/415 where there is a body, 429 where a rate limit
 * applies, 503 when PostgreSQL or Temporal are away), and a description for every response.
 * Runs in an onRoute hook before Fastify compiles the route's schemas, so the serialisers know
 * the error statuses too.
 */
const SUCCESS_DESCRIPTIONS: Record<string, string> = {
  200: 'Berhasil',
  201: 'Dibuat',
  202: 'Diterima; diproses di latar belakang',
  204: 'Tanpa isi',
};

type Schema = FastifySchema & {
  security?: unknown[];
  description?: string;
  consumes?: string[];
  hide?: boolean;
  response?: Record<string, Record<string, unknown>>;
};

/** Routes deliberately outside the API document (`schema.hide`: the portal's HTML pages), as "METHOD url". */
export const undocumentedRoutes = new Set<string>();

export function documentRoute(route: RouteOptions): void {
  if (route.url.startsWith('/docs')) return;
  if ((route.schema as Schema | undefined)?.hide) {
    for (const m of [route.method].flat()) undocumentedRoutes.add(`${m} ${route.url}`);
    return;
  }
  const access = route.config?.access as Access | undefined;
  if (access === undefined) return; // the auth plugin refuses such a route
  const schema: Schema = { ...(route.schema as Schema | undefined) };
  const isPublic = access === 'public';
  schema.security = isPublic ? [] : [{ bearer: [] }];
  const who = isPublic ? 'Publik: tanpa token.' : `Peran: ${access.join(', ')}.`;
  schema.description = schema.description ? `${schema.description}\n\n${who}` : who;

  const response: Record<string, Record<string, unknown>> = {};
  for (const [status, s] of Object.entries(schema.response ?? {})) {
    const r = s;
    response[status] =
      typeof r.description === 'string' && r.description
        ? r
        : {
            ...r,
            description:
              SUCCESS_DESCRIPTIONS[status] ?? (errorSchemaFor(Number(status)) as { description?: string }).description,
          };
  }
  const add = (status: number): void => {
    if (!response[status]) response[status] = errorSchemaFor(status) as unknown as Record<string, unknown>;
  };
  add(401);
  if (!isPublic) add(403);
  if (schema.params || schema.querystring || schema.body || schema.headers) add(400);
  if (schema.body || schema.consumes || [route.method].flat().some((m) => ['POST', 'PUT', 'PATCH'].includes(m))) {
    add(413);
    add(415);
  }
  if (route.config?.rateLimit) add(429);
  add(503);
  schema.response = response;
  route.schema = schema;
}

/**
 * A request body the document declares but Fastify does not validate: a multipart upload (read
 * as a stream by the handler) or a CSV text (parsed and validated whole by the service). For a
 * route's `config.swaggerTransform`.
 */
export function documentedBody(body: Record<string, unknown>) {
  return ({ schema, url }: { schema: unknown; url: string }) => ({ schema: { ...(schema as object), body }, url });
}
