import { Kysely, PostgresDialect } from 'kysely';
import { Pool, types, type PoolConfig } from 'pg';
import type { Database } from './schema';

export type Db = Kysely<Database>;

// Civil dates stay 'YYYY-MM-DD' strings: a Date would shift them by the server's time zone.
types.setTypeParser(1082, (v: string) => v);

export function createDb(connectionString: string, pool: Partial<PoolConfig> = {}): Db {
  const p = new Pool({ connectionString, max: 10, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 10_000, ...pool });
  // An idle connection dropped by the server (restart, failover) must not crash the process;
  // the pool replaces it and the next query reconnects.
  p.on('error', () => undefined);
  // A connection checked out of the pool (between the queries of a transaction) that the server
  // drops emits 'error' on its client: handled here, the query in flight fails and is retried by
  // its caller, instead of an unhandled 'error' event ending the process.
  p.on('connect', (client) => void client.on('error', () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: p }) });
}

/** Creates the database named in the URL if it does not exist (connecting to `postgres`). */
export async function ensureDatabase(connectionString: string): Promise<'created' | 'exists'> {
  const url = new URL(connectionString);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsupported database name: ${name}`);
  url.pathname = '/postgres';
  const pool = new Pool({ connectionString: url.toString(), max: 1, connectionTimeoutMillis: 5_000 });
  try {
    const r = await pool.query('select 1 from pg_database where datname = $1', [name]);
    if (r.rowCount) return 'exists';
    try {
      await pool.query(`create database "${name}"`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42P04') throw err; // created concurrently
    }
    return 'created';
  } finally {
    await pool.end();
  }
}

export async function dropDatabase(connectionString: string): Promise<void> {
  const url = new URL(connectionString);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsupported database name: ${name}`);
  url.pathname = '/postgres';
  const pool = new Pool({ connectionString: url.toString(), max: 1 });
  try {
    await pool.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await pool.end();
  }
}
