import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { createMotoMemberAccount, expectAccessible, jsEnabled, linkPayer, mailsTo, newMail, openProfileMenu, ready, signUp, uniqueEmail, watchConsole } from './helpers';

const PASSWORD = 'correct horse battery';

test('an Owner invites a colleague, who joins as a Viewer, becomes an Admin and links an account', async ({ page, browser }, testInfo) => {
  const consoleErrors = watchConsole(page);
  const org = `Team ${testInfo.project.name} ${Date.now()}`;
  await signUp(page, org, uniqueEmail(testInfo, 'owner'), PASSWORD);
  await expect(page).toHaveURL(/\/select-platform$/);
  await ready(page);

  // Profile menu → Members: the Owner alone, and the invitation form.
  await openProfileMenu(page);
  await page.locator('.profile-menu').getByRole('link', { name: 'Members' }).click();
  await expect(page.getByRole('heading', { name: 'Members', level: 1 })).toBeVisible();
  await ready(page);
  await expectAccessible(page, 'Members');
  const colleague = uniqueEmail(testInfo, 'colleague');
  const before = mailsTo(colleague);
  await page.getByLabel('Email address').fill(colleague);
  await page.getByLabel('Role', { exact: true }).selectOption('viewer');
  await page.getByRole('button', { name: 'Invite' }).click();

  // The link is shown once to copy, and mailed; both are the same link.
  const shown = page.locator('.secret-once code.secret');
  await expect(shown).toContainText('/invite/');
  const mail = await newMail(colleague, before);
  const link = mail.match(/https?:\/\/\S+\/invite\/[A-Za-z0-9_-]+/)?.[0];
  expect(link, mail).toBeTruthy();
  await expect(shown).toHaveText(link!);
  await expect(page.locator(`li[data-invitation="${colleague}"]`)).toContainText('Viewer');

  // The colleague, in a browser of their own, follows the link and sets a name and password.
  const theirs = await browser.newContext({ baseURL: testInfo.project.use.baseURL, javaScriptEnabled: jsEnabled() });
  const them = await theirs.newPage();
  const theirErrors = watchConsole(them);
  await them.goto(link!);
  await expect(them.getByRole('heading', { name: `Join ${org}` })).toBeVisible();
  await ready(them);
  await expectAccessible(them, 'invitation');
  await them.getByLabel('Your name').fill('Grace Colleague');
  await them.getByLabel('Password').fill(PASSWORD);
  await them.getByRole('button', { name: 'Create account and join' }).click();
  // A Viewer of an organization with nothing linked: nothing to choose, and why.
  await expect(them.getByText('Only an Admin or Owner can link accounts')).toBeVisible();
  await expect(them.locator('.card-grid')).toHaveCount(0);

  // Once the Owner has linked an account, the Viewer sees it, with Re-test and no Add Account.
  await linkPayer(page);
  await them.goto('/integrations');
  const payer = them.getByRole('region', { name: 'AWS (Amazon Web Services)' }).locator('tr[data-account="Payer"]');
  await expect(payer).toContainText('Re-test');
  await expect(them.getByRole('link', { name: /^Add Account/ })).toHaveCount(0);
  await expect(payer.getByRole('link', { name: 'Delete' })).toHaveCount(0);
  // A forced POST is refused before it is read.
  const forced = await them.request.post('/api/rename_account', {
    form: { account_id: '1', name: 'Mine now' },
    headers: { Origin: testInfo.project.use.baseURL! },
  });
  expect(forced.status()).toBe(403);
  expect(await forced.text()).toContain('Only an Admin or Owner can rename accounts.');
  // Nor does the profile menu offer a Viewer the audit log.
  await openProfileMenu(them);
  await expect(them.locator('.profile-menu').getByRole('link', { name: 'Members' })).toBeVisible();
  await expect(them.locator('.profile-menu').getByRole('link', { name: 'Audit log' })).toHaveCount(0);

  // The Owner makes them Admin; their next page offers Add Account, and they link an account.
  await page.goto('/members');
  await ready(page);
  const row = page.locator(`tr[data-member="${colleague}"]`);
  await expect(row).toContainText('Grace Colleague');
  await row.getByLabel('Role of Grace Colleague', { exact: true }).selectOption('admin');
  await row.getByRole('button', { name: 'Change role of Grace Colleague' }).click();
  await expect(page.getByText('Role changed')).toBeVisible();
  await expect(page.locator(`tr[data-member="${colleague}"]`)).toContainText('Admin');
  await them.goto('/integrations');
  await expect(them.getByRole('link', { name: 'Add Account for Microsoft' })).toBeVisible();
  const member = createMotoMemberAccount();
  await them.goto('/integrations/aws/link/linked');
  await ready(them);
  await them.getByLabel('AWS Account Name').fill('Dev');
  await them.getByLabel('AWS Role ARN').fill(`arn:aws:iam::${member}:role/XopsReadOnlyAccess`);
  await them.getByRole('button', { name: 'Connect' }).click();
  await expect(them).toHaveURL(/\/integrations\/aws\?notice=linked/);
  await expect(them.locator('tr[data-account="Dev"]').first()).toContainText(member);

  // The Owner reads all of it in the audit log, filters it, and downloads it as CSV.
  await openProfileMenu(page);
  await page.locator('.profile-menu').getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('heading', { name: 'Audit log', level: 1 })).toBeVisible();
  await ready(page);
  await expectAccessible(page, 'Audit log');
  const audit = page.locator('table.audit');
  for (const what of ['Invited', 'Joined', 'Changed a role', 'Linked an account']) {
    await expect(audit).toContainText(what);
  }
  await expect(audit.locator('tr', { hasText: 'Linked an account' }).first()).toContainText('Dev');
  await page.getByLabel('Action').selectOption('role_changed');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/action=role_changed/);
  await expect(audit.locator('tbody tr')).toHaveCount(1);
  await expect(audit).toContainText('Viewer → Admin');
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
  const text = readFileSync(await csv.path(), 'utf8');
  expect(text).toContain('When (UTC),Who,What,Account,Detail,From');
  expect(text).toContain('Changed a role');
  expect(text).not.toContain('Linked an account');
  // Now an Admin, the colleague reads it too.
  await openProfileMenu(them);
  await expect(them.locator('.profile-menu').getByRole('link', { name: 'Audit log' })).toBeVisible();

  expect(consoleErrors).toEqual([]);
  expect(theirErrors).toEqual([]);
  await theirs.close();
});
