import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorSchema } from '../../api/schemas/common';

/**
 * Holds the API to its OpenAPI document: every reply the app produces (through `inject` or a real
 * socket) is checked against `app.swagger()` — the route's documented statuses must include the
 * reply's status, the reply's content type must be documented for that status, and the body must
 * validate against that status's schema. A reply that Fastify's serialiser changed (a response
 * schema narrower than what the route returns silently drops fields) is a violation too.
 *
 * A violation fails the `inject` call that produced it (naming the route, the status and the
 * schema error) and, for replies over a socket, `app.close()`.
 */

interface Media {
  schema?: unknown;
}
interface Operation {
  responses: Record<string, { description?: string; content?: Record<string, Media> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
}

const VIOLATION_HEADER = 'x-contract-violation';

export interface Contract {
  violations: string[];
}

/** Document operations for a route pattern and method, or undefined (e.g. /docs, HEAD). */
export function operationOf(doc: Document, url: string, method: string): Operation | undefined {
  return doc.paths[url.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
}

/** The first place where two JSON values differ, or undefined. */
function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (a === b) return undefined;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object')
    return `${path || '/'}: ${JSON.stringify(a)?.slice(0, 80)} became ${JSON.stringify(b)?.slice(0, 80)}`;
  if (Array.isArray(a) !== Array.isArray(b)) return `${path || '/'}: array/object mismatch`;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  for (const k of new Set([...ka, ...kb])) {
    if (!(k in (b as object))) return `${path}/${k}: dropped by the serialiser`;
    if (!(k in (a as object))) return `${path}/${k}: added by the serialiser`;
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`);
    if (d) return d;
  }
  return undefined;
}

export function enforceContract(app: FastifyInstance): Contract {
  const contract: Contract = { violations: [] };
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const compiled = new Map<string, ValidateFunction>();
  const compile = (key: string, schema: unknown): ValidateFunction => {
    let v = compiled.get(key);
    if (!v) compiled.set(key, (v = ajv.compile(schema as object)));
    return v;
  };
  const envelope = compile('envelope', ErrorSchema);
  let doc: Document | undefined;
  const serialisedFrom = new WeakMap<FastifyRequest, string>();

  app.addHook('preSerialization', async (req, _reply, payload) => {
    if (payload !== null && typeof payload === 'object' && !Buffer.isBuffer(payload))
      serialisedFrom.set(req, JSON.stringify(payload));
    return payload;
  });

  const check = (req: FastifyRequest, reply: FastifyReply, payload: unknown): string | undefined => {
    const url = req.routeOptions.url;
    // Not the API: the OpenAPI UI, and routes hidden from the document (the portal's HTML pages).
    if (
      req.method === 'HEAD' ||
      url?.startsWith('/docs') ||
      (req.routeOptions.schema as { hide?: boolean } | undefined)?.hide
    )
      return undefined;
    const status = reply.statusCode;
    const type = String(reply.getHeader('content-type') ?? '')
      .split(';')[0]!
      .trim();
    const text =
      typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
    const where = `${req.method} ${url ?? req.url} → ${status}`;
    const parse = (): { ok: true; value: unknown } | { ok: false } => {
      try {
        return { ok: true, value: JSON.parse(text ?? '') };
      } catch {
        return { ok: false };
      }
    };
    // No route (404, 405, 414, …): the error envelope.
    const op =
      url && req.is404 !== true
        ? operationOf((doc ??= app.swagger() as unknown as Document), url, req.method)
        : undefined;
    if (!op) {
      if (url && req.is404 !== true) return `${where}: the route is not in the OpenAPI document`;
      if (type === 'text/html') return undefined; // the portal's own not-found pages (web/)
      const body = parse();
      if (!body.ok || !envelope(body.value))
        return `${where}: an unrouted reply not in the error envelope: ${text?.slice(0, 200)}`;
      return undefined;
    }
    const documented = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`] ?? op.responses.default;
    if (!documented)
      return `${where}: status ${status} is not documented (documented: ${Object.keys(op.responses).join(', ')}); body ${text?.slice(0, 200)}`;
    if (!documented.description || documented.description === 'Default Response')
      return `${where}: the response has no description`;
    if (!documented.content) {
      if (text) return `${where}: the document says no content, the reply has ${text.length} characters`;
      return undefined;
    }
    const media = documented.content[type];
    if (!media)
      return `${where}: content type "${type}" is not documented (documented: ${Object.keys(documented.content).join(', ')})`;
    if (text === undefined) return undefined; // a stream: only its type is checked
    const isJson = type === 'application/json' || type.endsWith('+json');
    const body = isJson ? parse() : { ok: true as const, value: text };
    if (!body.ok) return `${where}: ${type} body is not JSON: ${text.slice(0, 200)}`;
    const validate = compile(`${req.method} ${url} ${status} ${type}`, media.schema ?? {});
    if (!validate(body.value))
      return `${where}: the body does not match the documented schema: ${ajv.errorsText(validate.errors, { separator: '; ' })}; body ${text.slice(0, 300)}`;
    const before = serialisedFrom.get(req);
    if (before !== undefined && isJson) {
      const diff = firstDifference(JSON.parse(before), body.value);
      if (diff) return `${where}: the response schema changed the reply (too narrow?): ${diff}`;
    }
    return undefined;
  };

  app.addHook('onSend', async (req, reply, payload) => {
    const violation = check(req, reply, payload);
    if (violation) {
      contract.violations.push(violation);
      reply.header(VIOLATION_HEADER, encodeURIComponent(violation));
      console.error(`[contract] ${violation}`);
    }
    return payload;
  });
  app.addHook('onClose', async () => {
    if (contract.violations.length)
      throw new Error(`replies that contradict the OpenAPI document:\n${contract.violations.join('\n')}`);
  });

  // inject: fail the call that produced a violating reply.
  const inject = app.inject.bind(app);
  (app as { inject: unknown }).inject = async (opts: unknown) => {
    const res = await (inject as unknown as (o: unknown) => Promise<Awaited<ReturnType<FastifyInstance['inject']>>>)(
      opts,
    );
    const v = res.headers[VIOLATION_HEADER];
    if (typeof v === 'string') throw new Error(`reply contradicts the OpenAPI document: ${decodeURIComponent(v)}`);
    return res;
  };
  return contract;
}
