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

type Values = ReturnType<typeof parseArguments>;

function parseArguments() {
  return parseArgs({
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
  }).values;
}

function usage(): never {
  console.error(USAGE);
  process.exit(2);
}

/** `--revoke`: every token and session of the user. */
async function revoke(databaseUrl: string, username: string | undefined): Promise<void> {
  if (!username) usage();
  const db = createDb(databaseUrl);
  try {
    const user = await findUserByUsername(db, username);
    if (!user) throw new Error(`no user ${username}`);
    const r = await revokeUserCredentials(db, user.userId);
    console.log(`revoked ${r.tokens} token(s) and ${r.sessions} session(s) of ${user.username}`);
  } finally {
    await db.destroy();
  }
}

/** The initial console password (--password or --password-stdin), checked; undefined when none is given. */
async function initialPassword(values: Values, role: Role): Promise<string | undefined> {
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
  return password;
}

interface CreateRequest {
  username: string;
  role: Role;
  values: Values;
  ttlMs: number;
  password: string | undefined;
}

/** Creates the user, or issues a new token to the existing one of that role; prints the token once. */
async function createOrIssue(db: ReturnType<typeof createDb>, req: CreateRequest): Promise<void> {
  const { username, role, values, ttlMs, password } = req;
  const existing = await findUserByUsername(db, username);
  if (existing && existing.role !== role)
    throw new Error(`user ${existing.username} exists with role ${existing.role}, not ${role}`);
  const { token, expiresAt } = existing
    ? await issueToken(db, existing.userId, { ttlMs })
    : await createUser(
        db,
        {
          username,
          displayName: values.name ?? username,
          role,
          registrationNo: values['registration-no'] ?? null,
        },
        { ttlMs },
      );
  console.log(
    `${existing ? 'new token for' : 'created'} ${role} ${username}; bearer token (shown once, stored hashed), valid until ${expiresAt.toISOString()}:`,
  );
  console.log(token);
  if (password !== undefined) {
    const user = (await findUserByUsername(db, username))!;
    await setStaffPassword(db, user.userId, await hashPassword(password), { initial: true });
    console.log(
      `initial console password set for ${username}; it must be changed at the first sign-in at /portal/konsol/masuk`,
    );
  }
}

async function main(): Promise<void> {
  const values = parseArguments();
  const config = loadConfig();
  if (values.revoke) return revoke(config.databaseUrl, values.username);
  const role = values.role as Role | undefined;
  const ttlHours = values['ttl-hours'] === undefined ? undefined : Number(values['ttl-hours']);
  if (
    !role ||
    !(ROLES as readonly string[]).includes(role) ||
    !values.username ||
    (ttlHours !== undefined && !(Number.isFinite(ttlHours) && ttlHours > 0))
  )
    usage();
  const password = await initialPassword(values, role);
  const ttlMs =
    ttlHours !== undefined ? ttlHours * 3_600_000 : role === 'candidate' ? candidateTokenTtlMs() : staffTokenTtlMs();
  const db = createDb(config.databaseUrl);
  try {
    await createOrIssue(db, { username: values.username, role, values, ttlMs, password });
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
