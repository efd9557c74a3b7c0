import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

const csrfOf = (html: string): string | undefined => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

/**
 * A browser's cookie jar over `app.inject()`: keeps what Set-Cookie leaves, sends it back, and
 * posts forms as a browser would, with the CSRF token of the page the form is on.
 */
export class FormClient {
  cookies = new Map<string, string>();

  /** `formPage`: where to take a CSRF token when the page of a form shows none (e.g. an expired link). */
  constructor(
    readonly app: FastifyInstance,
    readonly formPage: string,
  ) {}

  take(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of res.cookies as { name: string; value: string; expires?: Date; maxAge?: number }[]) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now()) || c.maxAge === 0)
        this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return res;
  }

  header(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.take(await this.app.inject({ method: 'GET', url, headers: this.header() }));
  }

  /** `opts.csrf`: a given token (null: none) instead of the page's. */
  async submit(
    pageUrl: string,
    action: string,
    fields: Record<string, string>,
    opts: { csrf?: string | null } = {},
  ): Promise<LightMyRequestResponse> {
    const csrf =
      opts.csrf === undefined
        ? (csrfOf((await this.get(pageUrl)).body) ?? csrfOf((await this.get(this.formPage)).body))
        : opts.csrf;
    const body = new URLSearchParams({ ...(csrf ? { _csrf: csrf } : {}), ...fields }).toString();
    return this.take(
      await this.app.inject({
        method: 'POST',
        url: action,
        headers: { ...this.header(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: body,
      }),
    );
  }
}
