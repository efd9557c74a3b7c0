import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TASK_QUEUE } from '../contracts/ids';

/** One place for the environment. Defaults are the embedded single-machine stack of `npm start`. */
/** The repository root, from source (config/) or from the build (dist/config/). */
export const ROOT = ((): string => {
  let dir = join(__dirname, '..');
  while (!existsSync(join(dir, 'package.json')) && dir !== join(dir, '..')) dir = join(dir, '..');
  return dir;
})();

/** The prebuilt workflow bundle (`npm run build`), loaded by the worker in production and by replay. */
export const PREBUILT_BUNDLE = join(ROOT, 'dist', 'workflow-bundle.js');

export interface AppConfig {
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  apiHost: string;
  apiPort: number;
  temporalUiPort: number;
  logLevel: string;
  production: boolean;
  /**
   * Requests per minute per token (or per IP without one) on the public write routes, the same
   * in production and development. API_RATE_LIMIT_MAX, when set, replaces both (scripts that
   * need throughput from one machine, e.g. the demo and the fault run, set it explicitly).
   */
  rateLimits: PublicWriteLimits;
  /** The same comment text from the same client within this many ms is refused (409 DUPLICATE_COMMENT). */
  commentDuplicateWindowMs: number;
  /** Origins of the Temporal Web UI allowed to call the API's /codec endpoint. */
  codecCorsOrigins: string[];
  /** Lifetime of staff bearer tokens issued by `npm run user:create` (ASN_TOKEN_TTL_HOURS, default 720 h = 30 days). */
  tokenTtlHours: number;
  /** Lifetime of the candidate token handed out once at registration (ASN_CANDIDATE_TOKEN_TTL_HOURS, default 4320 h = 180 days: a round runs for months). */
  candidateTokenTtlHours: number;
  /** Lifetime of a cookie session, e.g. the codec login of the Temporal Web UI (ASN_SESSION_TTL_HOURS, default 8 h). */
  sessionTtlHours: number;
  /** The agency's name shown by the web portal (it has changed over the years: BKDPSDM → BKD → BKPSDM). */
  agencyName: string;
  /** The portal's address as users reach it, for links in e-mails (no trailing slash). */
  publicUrl: string;
}

function positiveHours(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`${name} must be a positive number of hours, got ${JSON.stringify(raw)}`);
  return n;
}

/** Per-minute limits of the public write routes. */
export interface PublicWriteLimits {
  /** POST /rounds/{id}/comments */
  comments: number;
  /** POST /rounds/{id}/registrations */
  registrations: number;
}
/** The defaults, in production and development alike: they limit. */
export const DEFAULT_RATE_LIMITS: PublicWriteLimits = { comments: 5, registrations: 30 };

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * How many workflows a worker keeps in its sticky cache (WORKER_MAX_CACHED_WORKFLOWS): unset,
 * the SDK's default from the heap limit (about 2,300 with Node's default heap). A round with
 * more candidates alive at once than the cache holds replays each evicted one from its history
 * at its next task, on every fan-out: size it to the candidates one worker carries, and give
 * the process the heap for them (NODE_OPTIONS=--max-old-space-size; docs/national-sizing.md).
 *
 * How long a cached workflow's next task may wait for this worker before the server gives it to
 * any worker (WORKER_STICKY_TIMEOUT_S, seconds; unset, the SDK's 10 s). A fan-out puts a task
 * in front of every candidate at once; a task that waits longer than this is timed out and
 * scheduled again (two more events, and the server's writes for them), so the time a worker
 * needs to drain a fan-out's backlog should fit in it. Longer means a dead worker's workflows
 * wait longer before another worker takes them.
 */
export function workerCacheOptions(env: NodeJS.ProcessEnv = process.env): {
  maxCachedWorkflows?: number;
  stickyQueueScheduleToStartTimeout?: string;
} {
  return {
    ...(env.WORKER_MAX_CACHED_WORKFLOWS
      ? { maxCachedWorkflows: positiveInt(env, 'WORKER_MAX_CACHED_WORKFLOWS', 1) }
      : {}),
    ...(env.WORKER_STICKY_TIMEOUT_S
      ? { stickyQueueScheduleToStartTimeout: `${positiveInt(env, 'WORKER_STICKY_TIMEOUT_S', 10)}s` }
      : {}),
  };
}

export function publicWriteLimits(env: NodeJS.ProcessEnv = process.env): PublicWriteLimits {
  const all = env.API_RATE_LIMIT_MAX ? positiveInt(env, 'API_RATE_LIMIT_MAX', 1) : undefined;
  return {
    comments: all ?? positiveInt(env, 'API_RATE_LIMIT_COMMENTS', DEFAULT_RATE_LIMITS.comments),
    registrations: all ?? positiveInt(env, 'API_RATE_LIMIT_REGISTRATIONS', DEFAULT_RATE_LIMITS.registrations),
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return {
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/asn',
    temporalAddress: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    temporalNamespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    apiHost: env.API_HOST ?? '127.0.0.1',
    apiPort: Number(env.API_PORT ?? 3000),
    temporalUiPort: Number(env.TEMPORAL_UI_PORT ?? 8233),
    logLevel: env.LOG_LEVEL ?? 'info',
    production: env.NODE_ENV === 'production',
    rateLimits: publicWriteLimits(env),
    commentDuplicateWindowMs: positiveInt(env, 'ASN_COMMENT_DUPLICATE_WINDOW_MS', 10 * 60_000),
    tokenTtlHours: positiveHours(env, 'ASN_TOKEN_TTL_HOURS', 720),
    candidateTokenTtlHours: positiveHours(env, 'ASN_CANDIDATE_TOKEN_TTL_HOURS', 4320),
    sessionTtlHours: positiveHours(env, 'ASN_SESSION_TTL_HOURS', 8),
    agencyName: env.ASN_AGENCY_NAME ?? 'BKPSDM Kota Medan',
    publicUrl: (env.ASN_PUBLIC_URL ?? `http://${env.API_HOST ?? '127.0.0.1'}:${env.API_PORT ?? 3000}`).replace(
      /\/+$/,
      '',
    ),
    codecCorsOrigins: (
      env.ASN_CODEC_CORS_ORIGINS ??
      `http://127.0.0.1:${env.TEMPORAL_UI_PORT ?? 8233},http://localhost:${env.TEMPORAL_UI_PORT ?? 8233}`
    )
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

/** Paths of the Temporal binaries: env vars first, then what scripts/setup.mjs resolved. */
export function temporalTools(env: NodeJS.ProcessEnv = process.env): { cli: string; testServer: string } {
  const file = join(ROOT, '.tools', 'tools.json');
  const saved = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { cli?: string; testServer?: string })
    : {};
  const cli = env.TEMPORAL_CLI ?? saved.cli;
  const testServer = env.TEMPORAL_TEST_SERVER ?? saved.testServer;
  if (!cli || !testServer)
    throw new Error('Temporal binaries not found: run `npm run setup` (or set TEMPORAL_CLI and TEMPORAL_TEST_SERVER)');
  return { cli, testServer };
}

export const SEARCH_ATTRIBUTES = { RoundId: 'Keyword', FormationId: 'Keyword', Stage: 'Keyword' } as const;
