import { Type, type TSchema, type TString } from '@fastify/type-provider-typebox';

export const ErrorSchema = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
});

export const IsoDateTime = Type.String({ minLength: 16, maxLength: 40, description: 'ISO 8601 date-time with offset, e.g. 2025-07-01T08:00:00+07:00' });
export const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
export const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'letters, digits, . _ -; at most 64' });
/**
 * Free text without control characters: U+0000–U+001F, U+007F and the C1 block U+0080–U+009F
 * are refused (a NUL, an escape sequence or a carriage return in a name or a log line is never
 * meant). `multiline` keeps line feed and tab, for comments, reasons and notes.
 */
export const SINGLE_LINE_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';
export const MULTI_LINE_PATTERN = '^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$';
export const PlainText = (o: { minLength?: number; maxLength: number; multiline?: boolean; description?: string }): TString =>
  Type.String({
    minLength: o.minLength ?? 1,
    maxLength: o.maxLength,
    pattern: o.multiline ? MULTI_LINE_PATTERN : SINGLE_LINE_PATTERN,
    description: o.description ?? (o.multiline ? 'text; no control characters except line feed and tab' : 'one line of text; no control characters'),
  });
/** Does this text pass PlainText? (for values checked outside a schema, e.g. object keys) */
export const isPlainText = (s: string, multiline = false): boolean => new RegExp(multiline ? MULTI_LINE_PATTERN : SINGLE_LINE_PATTERN, 'u').test(s);
export const ShortText = (max = 200): TSchema => PlainText({ maxLength: max });

export const errorResponses = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  422: ErrorSchema,
  503: ErrorSchema,
};
