import type { Client, Connection } from '@temporalio/client';
import type { Db } from '../../db/connection';

/** What services need; the API and the CLI both build one of these. */
export interface ServiceDeps {
  db: Db;
  client: Client;
  connection: Connection;
  taskQueue: string;
}

/** A query waits for a worker's answer: bounded, so an API request never hangs (→ 503 on expiry). */
export const QUERY_TIMEOUT_MS = 5_000;
