/**
 * `npm run user:create -- --role hr --username budi [--name "Budi Santoso"] [--registration-no R] [--ttl-hours H]`
 *   creates the user, or for an existing user of that role issues an additional token; each token
 *   expires after ASN_TOKEN_TTL_HOURS (default 720 h) or --ttl-hours.
 * `npm run user:revoke -- --username budi`
 *   revokes every token and session of the user (a leaked token, a leaver): they answer 401 TOKEN_REVOKED.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { createDb } from '../db/connection';
import { candidateTokenTtlMs, createUser, findUserByUsername, issueToken, revokeUserCredentials, ROLES, staffTokenTtlMs, type Role } from '../db/users';

const USAGE = `usage: npm run user:create -- --role <${ROLES.join('|')}> --username <name> [--name "Display Name"] [--registration-no <no>] [--ttl-hours <h>]
       npm run user:revoke -- --username <name>`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { role: { type: 'string' }, username: { type: 'string' }, name: { type: 'string' }, 'registration-no': { type: 'string' }, 'ttl-hours': { type: 'string' }, revoke: { type: 'boolean' } } });
  const config = loadConfig();
  if (values.revoke) {
    if (!values.username) {
      console.error(USAGE);
      process.exit(2);
    }
    const db = createDb(config.databaseUrl);
    try {
      const user = await findUserByUsername(db, values.username);
      if (!user) throw new Error(`no user ${values.username}`);
      const r = await revokeUserCredentials(db, user.userId);
      console.log(`revoked ${r.tokens} token(s) and ${r.sessions} session(s) of ${user.username}`);
    } finally {
      await db.destroy();
    }
    return;
  }
  const role = values.role as Role | undefined;
  const ttlHours = values['ttl-hours'] === undefined ? undefined : Number(values['ttl-hours']);
  if (!role || !(ROLES as readonly string[]).includes(role) || !values.username || (ttlHours !== undefined && !(Number.isFinite(ttlHours) && ttlHours > 0))) {
    console.error(USAGE);
    process.exit(2);
  }
  const ttlMs = ttlHours !== undefined ? ttlHours * 3_600_000 : role === 'candidate' ? candidateTokenTtlMs() : staffTokenTtlMs();
  const db = createDb(config.databaseUrl);
  try {
    const existing = await findUserByUsername(db, values.username);
    if (existing && existing.role !== role) throw new Error(`user ${existing.username} exists with role ${existing.role}, not ${role}`);
    const { token, expiresAt } = existing ? await issueToken(db, existing.userId, { ttlMs }) : await createUser(db, { username: values.username, displayName: values.name ?? values.username, role, registrationNo: values['registration-no'] ?? null }, { ttlMs });
    console.log(`${existing ? 'new token for' : 'created'} ${role} ${values.username}; bearer token (shown once, stored hashed), valid until ${expiresAt.toISOString()}:`);
    console.log(token);
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
