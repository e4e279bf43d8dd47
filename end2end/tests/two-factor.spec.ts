import { expect, Page, test } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { expectAccessible, openProfileMenu, ready, signIn, signUp, uniqueEmail, watchConsole } from './helpers';

const PASSWORD = 'correct horse battery';

/** RFC 4648 base32, as the Security page shows the key (spaces ignored). */
function base32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((b) => parseInt(b, 2)));
}

/** The authenticator app's code (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) for `step`. */
function code(key: Buffer, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

const stepNow = () => Math.floor(Date.now() / 1000 / 30);

/** Adds an authenticator from Your account → Security; returns its key and the recovery codes shown once. */
async function enrol(page: Page): Promise<{ key: Buffer; codes: string[] }> {
  await page.goto('/account/security');
  await ready(page);
  await page.getByRole('button', { name: 'Add an authenticator' }).click();
  await expect(page.getByRole('img', { name: 'QR code of your authenticator key' })).toBeVisible();
  await expectAccessible(page, 'Security, adding an authenticator');
  const key = base32(await page.locator('code.totp-secret').innerText());
  await page.getByLabel('Code from the app').fill(code(key, stepNow()));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('status').first()).toContainText('Authenticator added');
  const codes = await page.locator('.recovery-codes code').allInnerTexts();
  expect(codes).toHaveLength(10);
  await expect(page.getByText('10 recovery codes left.')).toBeVisible();
  // Shown once: not on the next visit.
  await page.goto('/account/security');
  await expect(page.locator('.recovery-codes')).toHaveCount(0);
  return { key, codes };
}

async function signOut(page: Page) {
  await ready(page);
  await openProfileMenu(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin/);
}

test('an authenticator app after the password, a recovery code, and two-factor required of everyone', async ({ page, browser }, testInfo) => {
  const consoleErrors = watchConsole(page);
  const email = uniqueEmail(testInfo, 'totp');
  await signUp(page, `TOTP ${testInfo.project.name} ${Date.now()}`, email, PASSWORD);
  await expect(page).toHaveURL(/\/select-platform$/);
  const { key, codes } = await enrol(page);

  // The password, then the code the app shows (the next step: the current one was spent).
  await signOut(page);
  await signIn(page, email, PASSWORD);
  await expect(page).toHaveURL(/\/signin\/verify/);
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await expectAccessible(page, 'Two-step verification');
  await page.getByLabel('Authentication code').fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByText('That code is not right')).toBeVisible();
  await page.getByLabel('Authentication code').fill(code(key, stepNow() + 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/select-platform/);

  // A recovery code instead, once.
  await signOut(page);
  await signIn(page, email, PASSWORD);
  await page.getByLabel('Authentication code').fill(codes[0]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('status')).toContainText('9 recovery codes left');

  // Organization settings → Require for everyone; a colleague without one is sent to enrolment.
  await page.goto('/settings/organization');
  await ready(page);
  await page.getByRole('button', { name: 'Require for everyone' }).click();
  await expect(page.getByRole('status')).toContainText('applies to every member');
  await expect(page.getByRole('button', { name: 'Stop requiring' })).toBeVisible();
  await page.goto('/members');
  await expect(page.locator(`tr[data-member="${email}"]`)).toContainText('On');

  await ready(page);
  const colleague = uniqueEmail(testInfo, 'colleague');
  await page.getByLabel('Email address').fill(colleague);
  await page.getByLabel('Role', { exact: true }).selectOption('viewer');
  await page.getByRole('button', { name: 'Invite' }).click();
  const link = await page.locator('.secret-once code.secret').innerText();
  const theirs = await browser.newContext({ baseURL: testInfo.project.use.baseURL, javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  const them = await theirs.newPage();
  await them.goto(link);
  await ready(them);
  await them.getByLabel('Your name').fill('Colleague');
  await them.getByLabel('Password').fill(PASSWORD);
  await them.getByRole('button', { name: 'Create account and join' }).click();
  await expect(them).toHaveURL(/\/account\/security$/);
  await expect(them.getByText('Your organization requires a second factor')).toBeVisible();
  await them.goto('/integrations');
  await expect(them).toHaveURL(/\/account\/security$/);
  await enrol(them);
  await them.goto('/integrations');
  await expect(them).toHaveURL(/\/integrations$/);
  await theirs.close();
  expect(consoleErrors).toEqual([]);
});
