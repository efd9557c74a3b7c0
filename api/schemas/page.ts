import { Type, type TSchema } from '@fastify/type-provider-typebox';

/**
 * One convention for every list endpoint: `?page=` (1-based, default 1) and `?pageSize=`
 * (default 100, at most 1000); the answer is `{ items, total, page, pageSize }`, sorted in a
 * stable order before it is cut into pages. `total` counts every item the filter matches.
 */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export const PageQueryProps = {
  page: Type.Optional(
    Type.String({ pattern: '^[1-9][0-9]{0,6}$', description: 'page number, from 1 (default 1)', examples: ['1'] }),
  ),
  pageSize: Type.Optional(
    Type.String({
      pattern: '^([1-9][0-9]{0,2}|1000)$',
      description: `items per page, 1–${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE})`,
      examples: ['100'],
    }),
  ),
};
export const PageQuery = Type.Object(PageQueryProps, { additionalProperties: false });

export const PageOf = <T extends TSchema>(item: T, description: string) =>
  Type.Object(
    {
      items: Type.Array(item),
      total: Type.Integer({ minimum: 0, description: 'every item the filter matches, on all pages' }),
      page: Type.Integer({ minimum: 1 }),
      pageSize: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE }),
    },
    { additionalProperties: false, description: `${description} — one page: { items, total, page, pageSize }` },
  );
