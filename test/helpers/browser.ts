/**
 * Browser tests: playwright-core driving Debian's `chromium` (scripts/setup.mjs installs it when
 * missing), axe-core for accessibility, screenshots into docs/screenshots/.
 *
 *   const b = await startBrowser();
 *   const page = await b.page({ phone: true });
 *   await page.goto(url);
 *   await expectNoAxeViolations(page, 'form page');
 *   await screenshot(page, 'form');
 *   await b.close();
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { ROOT } from '../../config';

export const SCREENSHOT_DIR = join(ROOT, 'docs', 'screenshots');

/** A 360-px phone (the issue's smallest screen). */
export const PHONE: BrowserContextOptions = {
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

/** CHROMIUM_PATH, `chromium` on PATH, or /usr/bin/chromium; a clear error when none is there. */
export function chromiumPath(): string {
  const env = process.env.CHROMIUM_PATH;
  if (env) {
    if (existsSync(env)) return env;
    throw new Error(`CHROMIUM_PATH=${env} does not exist`);
  }
  try {
    const found = execFileSync('which', ['chromium'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (found) return found;
  } catch {
    // not on PATH
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  throw new Error(
    "Chromium not found: the browser tests need Debian's `chromium` (run `node scripts/setup.mjs` as root, which installs it with apt-get, or set CHROMIUM_PATH)",
  );
}

export interface BrowserSession {
  browser: Browser;
  /** A fresh context and page; `phone` gives the 360-px phone viewport. */
  page: (opts?: { phone?: boolean; context?: BrowserContextOptions }) => Promise<Page>;
  close: () => Promise<void>;
}

export async function startBrowser(): Promise<BrowserSession> {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Chromium refuses to run as root with its sandbox; CI containers run as root.
    args: isRoot ? ['--no-sandbox'] : [],
    timeout: 120_000,
  });
  return {
    browser,
    page: async (opts = {}) => {
      const context = await browser.newContext({
        locale: 'id-ID',
        timezoneId: 'Asia/Jakarta',
        ...(opts.phone ? PHONE : {}),
        ...opts.context,
      });
      context.setDefaultTimeout(30_000);
      return context.newPage();
    },
    close: () => browser.close(),
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: string[]; html: string; failureSummary?: string }[];
}

/**
 * Runs axe-core in the page (injected through the DevTools protocol, so a page's CSP does not
 * block it) and returns the violations of impact serious or critical.
 */
export async function axeViolations(
  page: Page,
  opts: { include?: string; disableRules?: string[] } = {},
): Promise<AxeViolation[]> {
  const hasAxe = await page.evaluate('typeof globalThis.axe === "object"');
  if (!hasAxe) await page.evaluate(axe.source);
  const rules = Object.fromEntries((opts.disableRules ?? []).map((r) => [r, { enabled: false }]));
  const result = await page.evaluate(
    async ({ include, rules }) => {
      const g = globalThis as unknown as {
        axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: AxeViolation[] }> };
        document: unknown;
      };
      const r = await g.axe.run(include ?? g.document, { resultTypes: ['violations'], rules });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })),
      }));
    },
    { include: opts.include, rules },
  );
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Violations as lines a person can act on: rule, impact, help, and each offending element. */
export function formatViolations(violations: readonly AxeViolation[]): string {
  return violations
    .map((v) =>
      [
        `- [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`,
        ...v.nodes.map(
          (n) =>
            `    ${n.target.join(' ')}  ${n.html.slice(0, 160)}${n.failureSummary ? `\n      ${n.failureSummary.replace(/\n/g, '\n      ')}` : ''}`,
        ),
      ].join('\n'),
    )
    .join('\n');
}

/** Fails with a readable list when axe finds a serious or critical violation. */
export async function expectNoAxeViolations(
  page: Page,
  label: string,
  opts: { include?: string; disableRules?: string[] } = {},
): Promise<void> {
  const violations = await axeViolations(page, opts);
  if (violations.length)
    throw new Error(
      `axe: ${violations.length} serious/critical violation(s) on ${label} (${page.url()}):\n${formatViolations(violations)}`,
    );
}

/**
 * A full-page PNG <name>.png; returns its path. Test runs write into .data/screenshots/ (a run
 * never dirties the work tree); `ASN_SCREENSHOTS=docs` refreshes the README's docs/screenshots/.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`screenshot name must be kebab-case: ${name}`);
  const dir = process.env.ASN_SCREENSHOTS === 'docs' ? SCREENSHOT_DIR : join(ROOT, '.data', 'screenshots');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Signs a staff user in on the console's sign-in page at `base` and waits for the console home. */
export async function staffSignIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/portal/konsol/masuk`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('button:has-text("Masuk")');
  await page.waitForURL(/\/portal\/konsol$/);
}
