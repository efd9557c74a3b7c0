import { randomUUID } from 'node:crypto';

/**
 * A small client of the API for the demo, the fault run and the end-to-end benchmark. It retries
 * what a real client retries (network errors, timeouts, 503, 429) with the same Idempotency-Key,
 * and counts every answer, so a run can say how many 5xx it saw and how long the slowest took.
 */
export interface HttpStats {
  requests: number;
  byStatus: Record<string, number>;
  /** 5xx other than 503: must stay 0. */
  server5xx: { method: string; path: string; status: number; body: string }[];
  /** Requests that got no answer within the client timeout. */
  timeouts: number;
  networkErrors: number;
  retries: number;
  maxLatencyMs: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    // The details name what was refused (an import's rows, a rule's fields): the first few go into the message.
    const details = (body as { error?: { details?: unknown } } | null)?.error?.details;
    super(`${status} ${code}: ${message}${details === undefined ? '' : ` ${JSON.stringify(details).slice(0, 600)}`}`);
  }
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Raw body (CSV, multipart) with its content type. */
  raw?: { data: Buffer | string; contentType: string };
  /** Retry transient failures until this many ms have passed (0 = no retry). */
  retryForMs?: number;
  idempotencyKey?: string;
  /** Answers accepted as success besides 2xx (e.g. 409 when a retry finds the work done). */
  accept?: (status: number, code: string) => boolean;
}

export class ApiClient {
  readonly stats: HttpStats = {
    requests: 0,
    byStatus: {},
    server5xx: [],
    timeouts: 0,
    networkErrors: 0,
    retries: 0,
    maxLatencyMs: 0,
  };

  constructor(
    readonly baseUrl: string,
    private readonly opts: { timeoutMs?: number; defaultRetryForMs?: number } = {},
  ) {}

  async request<T = unknown>(
    method: string,
    path: string,
    o: RequestOptions = {},
  ): Promise<{ status: number; body: T }> {
    const retryFor = o.retryForMs ?? this.opts.defaultRetryForMs ?? 0;
    const deadline = Date.now() + retryFor;
    const key = o.idempotencyKey ?? (method === 'GET' ? undefined : randomUUID());
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = {};
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      if (key) headers['idempotency-key'] = key;
      let payload: string | Buffer | undefined;
      if (o.raw) {
        headers['content-type'] = o.raw.contentType;
        payload = o.raw.data;
      } else if (o.body !== undefined) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(o.body);
      }
      const started = performance.now();
      this.stats.requests += 1;
      let status: number;
      let text: string;
      try {
        const res = await fetch(this.baseUrl + path, {
          method,
          headers,
          body: payload,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
        });
        status = res.status;
        text = await res.text();
      } catch (err) {
        const e = err as Error;
        if (e.name === 'TimeoutError' || e.name === 'AbortError') this.stats.timeouts += 1;
        else this.stats.networkErrors += 1;
        status = 0;
        text = e.message;
      }
      const ms = performance.now() - started;
      if (ms > this.stats.maxLatencyMs) this.stats.maxLatencyMs = ms;
      this.stats.byStatus[String(status)] = (this.stats.byStatus[String(status)] ?? 0) + 1;
      if (status >= 500 && status !== 503)
        this.stats.server5xx.push({ method, path, status, body: text.slice(0, 300) });
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        /* a page, not JSON */
      }
      const code = (body as { error?: { code?: string } } | null)?.error?.code ?? '';
      if ((status >= 200 && status < 300) || (status && o.accept?.(status, code))) return { status, body: body as T };
      const transient = status === 0 || status === 503 || status === 429 || status === 502 || status === 504;
      if (transient && Date.now() < deadline) {
        this.stats.retries += 1;
        await new Promise((r) => setTimeout(r, Math.min(2_000, 200 * 2 ** Math.min(attempt, 4))));
        continue;
      }
      throw new ApiError(
        status,
        code || 'HTTP',
        (body as { error?: { message?: string } } | null)?.error?.message ?? text.slice(0, 200),
        body,
      );
    }
  }

  get<T = unknown>(path: string, o: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, o).then((r) => r.body);
  }
  /** Every item of a paginated list endpoint (`{ items, total, page, pageSize }`), page by page. */
  async getAll<T = unknown>(path: string, o: RequestOptions = {}, pageSize = 1000): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; ; page++) {
      const r = await this.get<{ items: T[]; total: number }>(
        `${path}${path.includes('?') ? '&' : '?'}page=${page}&pageSize=${pageSize}`,
        o,
      );
      out.push(...r.items);
      if (r.items.length === 0 || out.length >= r.total) return out;
    }
  }
  post<T = unknown>(path: string, body: unknown, o: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...o, body }).then((r) => r.body);
  }
  put<T = unknown>(path: string, body: unknown, o: RequestOptions = {}): Promise<T> {
    return this.request<T>('PUT', path, { ...o, body }).then((r) => r.body);
  }
}

/** One file in a multipart body. */
export function multipartFile(
  filename: string,
  content: Buffer,
  contentType: string,
): { data: Buffer; contentType: string } {
  const boundary = `----asn${randomUUID()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { data: Buffer.concat([head, content, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Runs `fn` over the items with at most `concurrency` at once; results in order. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return out;
}
