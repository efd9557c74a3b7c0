/**
 * `npm run user:create -- --role hr --username budi [--name "Budi Santoso"] [--registration-no R] [--ttl-hours H]`
 *   creates the user, or for an existing user of that role issues an additional token; each token
 *   expires after ASN_TOKEN_TTL_HOURS (default 720 h) or --ttl-hours.
 *   `--password <initial>` (staff roles) also sets an initial password for the staff console
 *   (/portal/konsol/masuk), to be changed at the first sign-in; or `--password-stdin` to read it
 *   from standard input (kept out of the shell history).
 * `npm run user:revoke -- --username budi`
 *   revokes every token and session of the user (a leaked token, a leaver): they answer 401 TOKEN_REVOKED.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { createDb } from '../db/connection';
import { hashPassword, PASSWORD_MAX, PASSWORD_MIN } from '../db/accounts';
import { isStaffRole, setStaffPassword } from '../db/staff';
import {
  candidateTokenTtlMs,
  createUser,
  findUserByUsername,
  issueToken,
  revokeUserCredentials,
  ROLES,
  staffTokenTtlMs,
  type Role,
} from '../db/users';

const USAGE = `usage: npm run user:create -- --role <${ROLES.join('|')}> --username <name> [--name "Display Name"] [--registration-no <no>] [--ttl-hours <h>]
       npm run user:revoke -- --username <name>`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      username: { type: 'string' },
      name: { type: 'string' },
      'registration-no': { type: 'string' },
      'ttl-hours': { type: 'string' },
      revoke: { type: 'boolean' },
      password: { type: 'string' },
      'password-stdin': { type: 'boolean' },
    },
  });
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
  if (
    !role ||
    !(ROLES as readonly string[]).includes(role) ||
    !values.username ||
    (ttlHours !== undefined && !(Number.isFinite(ttlHours) && ttlHours > 0))
  ) {
    console.error(USAGE);
    process.exit(2);
  }
  let password = values.password;
  if (values['password-stdin']) password = (await readStdin()).replace(/\r?\n$/, '');
  if (password !== undefined) {
    if (!isStaffRole(role))
      throw new Error(
        '--password is for staff roles (hr, reviewer, supervisor, auditor); candidates use the portal account',
      );
    if ([...password].length < PASSWORD_MIN || [...password].length > PASSWORD_MAX)
      throw new Error(`the password must have ${PASSWORD_MIN}–${PASSWORD_MAX} characters`);
  }
  const ttlMs =
    ttlHours !== undefined ? ttlHours * 3_600_000 : role === 'candidate' ? candidateTokenTtlMs() : staffTokenTtlMs();
  const db = createDb(config.databaseUrl);
  try {
    const existing = await findUserByUsername(db, values.username);
    if (existing && existing.role !== role)
      throw new Error(`user ${existing.username} exists with role ${existing.role}, not ${role}`);
    const { token, expiresAt } = existing
      ? await issueToken(db, existing.userId, { ttlMs })
      : await createUser(
          db,
          {
            username: values.username,
            displayName: values.name ?? values.username,
            role,
            registrationNo: values['registration-no'] ?? null,
          },
          { ttlMs },
        );
    console.log(
      `${existing ? 'new token for' : 'created'} ${role} ${values.username}; bearer token (shown once, stored hashed), valid until ${expiresAt.toISOString()}:`,
    );
    console.log(token);
    if (password !== undefined) {
      const user = (await findUserByUsername(db, values.username))!;
      await setStaffPassword(db, user.userId, await hashPassword(password), { initial: true });
      console.log(
        `initial console password set for ${values.username}; it must be changed at the first sign-in at /portal/konsol/masuk`,
      );
    }
  } finally {
    await db.destroy();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
