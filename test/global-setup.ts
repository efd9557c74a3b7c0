import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, dropDatabase, ensureDatabase } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { bundleWorkflows } from '../worker/worker';
import { generateKey } from '../config/codec';
import { generateSigningKey } from '../config/audit-signing';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    bundlePath: string;
  }
}

/**
 * Once per test run: a throwaway database with a unique name (dropped afterwards), migrated to
 * latest, and one workflow bundle shared by every test file.
 */
export default async function setup(project: {
  provide: <K extends 'databaseUrl' | 'bundlePath'>(key: K, value: string) => void;
}): Promise<() => Promise<void>> {
  const base = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/asn';
  const url = new URL(base);
  url.pathname = `/asn_test_${Date.now().toString(36)}_${process.pid}`;
  const databaseUrl = url.toString();
  try {
    await ensureDatabase(databaseUrl);
  } catch (err) {
    throw new Error(
      `PostgreSQL not reachable at ${base} (set DATABASE_URL or TEST_DATABASE_URL): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const db = createDb(databaseUrl);
  await migrateToLatest(db);
  await db.destroy();

  const dir = mkdtempSync(join(tmpdir(), 'asn-bundle-'));
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, await bundleWorkflows());

  // Payload encryption keys of this run (an old key kept for decryption, as after a rotation);
  // test files and the processes they spawn inherit them.
  process.env.ASN_CODEC_KEYS ??= JSON.stringify({
    active: 'test-2',
    keys: { 'test-1': generateKey(), 'test-2': generateKey() },
  });
  // Audit checkpoint signing keys of this run (an old key kept for verification, as after a rotation).
  process.env.ASN_AUDIT_SIGNING_KEYS ??= JSON.stringify({
    active: 'audit-test-2',
    keys: { 'audit-test-1': generateSigningKey(), 'audit-test-2': generateSigningKey() },
  });

  // Workers the tests spawn send no mail unless a test gives them its own sink (SMTP_URL=<sink>):
  // otherwise they would mail whatever listens on the development port (an `npm start` nearby).
  process.env.SMTP_URL ??= 'none';

  project.provide('databaseUrl', databaseUrl);
  project.provide('bundlePath', bundlePath);

  return async () => {
    rmSync(dir, { recursive: true, force: true });
    if (!process.env.KEEP_TEST_DATABASE) await dropDatabase(databaseUrl);
  };
}
