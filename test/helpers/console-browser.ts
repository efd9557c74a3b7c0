import type { Page } from 'playwright-core';
import { hashPassword } from '../../db/accounts';
import type { Db } from '../../db/connection';
import { setStaffPassword } from '../../db/staff';
import { createUser, type Role } from '../../db/users';

/** A staff account whose initial password is already changed (it signs in straight to the console), with its API token. */
export async function staffAccount(
  db: Db,
  role: Role,
  username: string,
  password: string,
  displayName = 'Petugas',
): Promise<{ username: string; token: string }> {
  const { user, token } = await createUser(db, { username, displayName, role });
  await setStaffPassword(db, user.userId, await hashPassword(password), { initial: false });
  return { username, token };
}

/** Signs in to the console in `page` and waits for the console's home page. */
export async function consoleSignIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/portal/konsol/masuk`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('button:has-text("Masuk")');
  await page.waitForURL(/\/portal\/konsol$/);
}
