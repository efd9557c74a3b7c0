/**
 * What a browser would submit from the first `<form>` of a page whose action matches: each input's
 * value (checkboxes only when checked), each select's selected option, each textarea's text —
 * so inject tests post a multi-step form as it was rendered, then change what a person would.
 * Repeated names (checkbox groups) become arrays.
 */
const unescape = (s: string): string =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
const attr = (tag: string, name: string): string | undefined => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? unescape(m[1]!) : undefined;
};

export function formFields(html: string, action: string): [string, string][] {
  const start = html.indexOf(`action="${action}"`);
  if (start < 0) throw new Error(`no form with action ${action}`);
  const body = html.slice(start, html.indexOf('</form>', start));
  const out: [string, string][] = [];
  for (const m of body.matchAll(/<input\b[^>]*>/g)) {
    const tag = m[0];
    const name = attr(tag, 'name');
    const type = attr(tag, 'type') ?? 'text';
    if (!name || type === 'submit') continue;
    if ((type === 'checkbox' || type === 'radio') && !/\schecked\b/.test(tag)) continue;
    out.push([name, attr(tag, 'value') ?? (type === 'checkbox' ? 'on' : '')]);
  }
  for (const m of body.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
    const name = attr(m[1]!, 'name');
    if (!name) continue;
    const options = [...m[2]!.matchAll(/<option\b([^>]*)>/g)].map((o) => o[1]!);
    const chosen = options.find((o) => /\sselected\b/.test(o)) ?? options[0];
    out.push([name, chosen ? (attr(chosen, 'value') ?? '') : '']);
  }
  for (const m of body.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/g)) {
    const name = attr(m[1]!, 'name');
    if (name) out.push([name, unescape(m[2]!)]);
  }
  return out;
}

/** The fields with some replaced (a `null` removes the field, e.g. an unticked checkbox). */
export function withChanges(fields: [string, string][], changes: Record<string, string | null>): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of fields) if (!(k in changes)) p.append(k, v);
  for (const [k, v] of Object.entries(changes)) if (v !== null) p.append(k, v);
  return p;
}
