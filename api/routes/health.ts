import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import type { ServiceDeps } from '../services/deps';
import { errors } from '../schemas/common';
import { HealthSchema } from '../schemas/responses';

async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error('timeout')), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginAsyncTypebox<{ deps: ServiceDeps }> = async (app, { deps }) => {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['health'],
        summary: 'PostgreSQL and Temporal reachability',
        response: {
          200: HealthSchema,
          ...errors([503, 'DEPENDENCY_UNAVAILABLE: details name which of postgresql and temporal is down']),
        },
      },
    },
    async (_req, reply) => {
      const [database, temporal] = await Promise.all([
        within(2_000, sql`select 1`.execute(deps.db)).then(
          () => 'up' as const,
          () => 'down' as const,
        ),
        within(2_000, deps.connection.workflowService.getSystemInfo({})).then(
          () => 'up' as const,
          () => 'down' as const,
        ),
      ]);
      const down = [database === 'down' && 'postgresql', temporal === 'down' && 'temporal'].filter(Boolean) as string[];
      if (down.length) {
        return reply.status(503).send({
          error: {
            code: 'DEPENDENCY_UNAVAILABLE',
            message: `Tidak dapat dihubungi: ${down.join(', ')}`,
            details: { postgresql: database, temporal },
          },
        });
      }
      return { status: 'ok' as const, postgresql: database, temporal };
    },
  );
};
