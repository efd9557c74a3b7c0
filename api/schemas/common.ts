import { Type, type TSchema, type TString, type TUnsafe } from '@fastify/type-provider-typebox';

export const ErrorSchema = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'stable English code, e.g. VALIDATION_FAILED, NOT_FOUND' }),
        message: Type.String({ description: 'for people, in Bahasa Indonesia' }),
        details: Type.Optional(
          Type.Unknown({ description: 'what exactly was wrong (e.g. one entry per invalid field)' }),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: 'The one error envelope' },
);

export const IsoDateTime = Type.String({
  minLength: 16,
  maxLength: 40,
  description: 'ISO 8601 date-time with offset, e.g. 2025-07-01T08:00:00+07:00',
});
export const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
export const Id = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  description: 'letters, digits, . _ -; at most 64',
});
/**
 * Free text without control characters: U+0000–U+001F, U+007F and the C1 block U+0080–U+009F
 * are refused (a NUL, an escape sequence or a carriage return in a name or a log line is never
 * meant). `multiline` keeps line feed and tab, for comments, reasons and notes.
 */
export const SINGLE_LINE_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';
export const MULTI_LINE_PATTERN = '^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$';
export const PlainText = (o: {
  minLength?: number;
  maxLength: number;
  multiline?: boolean;
  description?: string;
}): TString =>
  Type.String({
    minLength: o.minLength ?? 1,
    maxLength: o.maxLength,
    pattern: o.multiline ? MULTI_LINE_PATTERN : SINGLE_LINE_PATTERN,
    description:
      o.description ??
      (o.multiline
        ? 'text; no control characters except line feed and tab'
        : 'one line of text; no control characters'),
  });
/** Does this text pass PlainText? (for values checked outside a schema, e.g. object keys) */
export const isPlainText = (s: string, multiline = false): boolean =>
  new RegExp(multiline ? MULTI_LINE_PATTERN : SINGLE_LINE_PATTERN, 'u').test(s);

/**
 * One of a fixed list of strings, rendered as `{ type: 'string', enum: [...] }` (TypeBox renders a
 * union of literals as anyOf/const, whose validation errors repeat once per value and never list them).
 */
export const StringEnum = <const T extends readonly string[]>(
  values: T,
  options: { description?: string; default?: T[number] } = {},
): TUnsafe<T[number]> => Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/** A value or null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** An object whose known fields are documented; further fields may appear and are passed through. */
export const Open = <P extends Parameters<typeof Type.Object>[0]>(properties: P, description?: string) =>
  Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}) });

/** Any JSON object (shape not fixed by this API). */
export const AnyObject = (description: string) => Type.Object({}, { additionalProperties: true, description });

/** A text response of one content type (text/html, application/x-ndjson): the error statuses stay JSON. */
export const TextBody = (description: string, contentType = 'text/html') =>
  Type.Unsafe<string>({ description, content: { [contentType]: { schema: { type: 'string' } } } });

/** Descriptions of the error statuses, in one place. */
export const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Permintaan tidak valid (VALIDATION_FAILED with one entry per field, MALFORMED_JSON, BAD_REQUEST)',
  401: 'Token tidak ada atau tidak valid (UNAUTHENTICATED)',
  403: 'Peran atau pemilik tidak berhak (FORBIDDEN, NOT_OWNER)',
  404: 'Tidak ditemukan (NOT_FOUND)',
  409: 'Tidak dapat dilakukan pada tahap ini, or already done (WRONG_PHASE, …)',
  413: 'Isi permintaan terlalu besar (PAYLOAD_TOO_LARGE, FILE_TOO_LARGE)',
  414: 'Parameter path terlalu panjang (URI_TOO_LONG)',
  415: 'Content-Type tidak didukung (UNSUPPORTED_MEDIA_TYPE)',
  422: 'Ditolak oleh aturan (the code names the rule)',
  429: 'Terlalu banyak permintaan (RATE_LIMITED)',
  503: 'PostgreSQL or Temporal unavailable (DATABASE_UNAVAILABLE, TEMPORAL_UNAVAILABLE); retry later',
};

const described = (status: number, description?: string) =>
  Type.Object(ErrorSchema.properties, {
    additionalProperties: false,
    description: description ?? ERROR_DESCRIPTIONS[status] ?? 'Kesalahan',
  });

/**
 * The error responses a route answers besides those every route gets from the onRoute hook in
 * api/app.ts (400, 401, 403, 413, 415, 429, 503 as they apply). Pass a status, or [status, description].
 */
type StatusOf<T> = T extends readonly [infer N, string] ? N : T;
export function errors<const T extends readonly (number | readonly [number, string])[]>(
  ...statuses: T
): { [K in StatusOf<T[number]> & number]: typeof ErrorSchema } {
  const out: Record<number, typeof ErrorSchema> = {};
  for (const s of statuses) {
    const [status, description] = Array.isArray(s) ? s : [s, undefined];
    out[status] = described(status, description);
  }
  return out as { [K in StatusOf<T[number]> & number]: typeof ErrorSchema };
}
export const errorSchemaFor = described;
