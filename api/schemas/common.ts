import { Type, type TSchema } from '@fastify/type-provider-typebox';

export const ErrorSchema = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
});

export const IsoDateTime = Type.String({ minLength: 16, maxLength: 40, description: 'ISO 8601 date-time with offset, e.g. 2025-07-01T08:00:00+07:00' });
export const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
export const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'letters, digits, . _ -; at most 64' });
export const ShortText = (max = 200): TSchema => Type.String({ minLength: 1, maxLength: max });

export const errorResponses = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  422: ErrorSchema,
  503: ErrorSchema,
};
