import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../schemas/page';

export interface PageRequest {
  page?: number | string;
  pageSize?: number | string;
}
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** The page asked for, bounded: page ≥ 1, 1 ≤ pageSize ≤ MAX_PAGE_SIZE. */
export function pageParams(p: PageRequest = {}): { page: number; pageSize: number; offset: number } {
  const page = Math.max(1, Math.floor(Number(p.page ?? 1)) || 1);
  const pageSize = Math.min(
    MAX_PAGE_SIZE,
    Math.max(1, Math.floor(Number(p.pageSize ?? DEFAULT_PAGE_SIZE)) || DEFAULT_PAGE_SIZE),
  );
  return { page, pageSize, offset: (page - 1) * pageSize };
}

/** A page of a list already complete and sorted. */
export function pageOfArray<T>(all: readonly T[], p: PageRequest = {}): Page<T> {
  const { page, pageSize, offset } = pageParams(p);
  return { items: all.slice(offset, offset + pageSize), total: all.length, page, pageSize };
}

/** A page from SQL: the count and the rows of the page (already ordered by a unique key). */
export async function pageOfQuery<T>(
  p: PageRequest,
  count: () => Promise<number | string | bigint>,
  rows: (offset: number, limit: number) => Promise<T[]>,
): Promise<Page<T>> {
  const { page, pageSize, offset } = pageParams(p);
  const [total, items] = await Promise.all([count(), rows(offset, pageSize)]);
  return { items, total: Number(total), page, pageSize };
}
