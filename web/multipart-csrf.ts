import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';

/**
 * The CSRF check of a file upload form. A multipart body is a stream the check cannot read, so a
 * form without the page's script (which sends the token in the `x-csrf-token` header) carries it in
 * its action's query (`?_csrf=…`); this moves it to the header, then runs the usual double-submit
 * check (the secret in the `asn_csrf` cookie). Used by the candidate's document upload and HR's
 * exam imports alike.
 */
function csrfFromQuery(req: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  const token = (req.query as { _csrf?: unknown } | undefined)?._csrf;
  if (typeof token === 'string' && req.headers['x-csrf-token'] === undefined) req.headers['x-csrf-token'] = token;
  done();
}

export const multipartCsrf = (app: FastifyInstance): preHandlerHookHandler[] => [
  csrfFromQuery as preHandlerHookHandler,
  app.csrfProtection,
];
