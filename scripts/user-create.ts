/** `npm run user:create -- --role hr --username budi [--name "Budi Santoso"] [--registration-no R]` */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { createDb } from '../db/connection';
import { createUser, ROLES, type Role } from '../db/users';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { role: { type: 'string' }, username: { type: 'string' }, name: { type: 'string' }, 'registration-no': { type: 'string' } } });
  const role = values.role as Role | undefined;
  if (!role || !(ROLES as readonly string[]).includes(role) || !values.username) {
    console.error(`usage: npm run user:create -- --role <${ROLES.join('|')}> --username <name> [--name "Display Name"] [--registration-no <no>]`);
    process.exit(2);
  }
  const db = createDb(loadConfig().databaseUrl);
  try {
    const { user, token } = await createUser(db, { username: values.username, displayName: values.name ?? values.username, role, registrationNo: values['registration-no'] ?? null });
    console.log(`created ${user.role} ${user.username}; bearer token (shown once, stored hashed):`);
    console.log(token);
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
