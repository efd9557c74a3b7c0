import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { buildApp } from '../../api/app';
import type { Db } from '../../db/connection';
import { createUser, type Role } from '../../db/users';
import { enforceContract } from './contract';

export async function testApp(
  env: TestWorkflowEnvironment,
  db: Db,
  taskQueue: string,
  rateLimit?: { max: number; timeWindow: number },
): Promise<FastifyInstance> {
  const app = await buildApp({
    deps: { db, client: env.client, connection: env.connection, taskQueue },
    rateLimit,
    bundlePath: inject('bundlePath'),
  });
  // Every reply is checked against the OpenAPI document (test/helpers/contract.ts).
  enforceContract(app);
  await app.ready();
  return app;
}

let userCounter = 0;
/** A user of each role, with bearer headers. */
export async function testUsers(
  db: Db,
): Promise<Record<Role, { username: string; headers: { authorization: string } }>> {
  const out = {} as Record<Role, { username: string; headers: { authorization: string } }>;
  for (const role of ['hr', 'reviewer', 'supervisor', 'auditor', 'candidate'] as const) {
    userCounter += 1;
    const username = `${role}.${process.pid}.${userCounter}.${Date.now().toString(36)}`;
    const { token } = await createUser(db, { username, displayName: `Pengguna ${role}`, role });
    out[role] = { username, headers: { authorization: `Bearer ${token}` } };
  }
  return out;
}

export async function rowCounts(db: Db, tables: readonly string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables) {
    const r = await db
      .selectFrom(t as never)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    out[t] = Number((r as { n: string }).n);
  }
  return out;
}
