import { expect, test } from '@playwright/test';
import { expectAccessible, mailsTo, newMail, openProfileMenu, ready, requestSignUp, signIn, signUp, uniqueEmail, watchConsole } from './helpers';

const PASSWORD = 'correct horse battery';
const SELECT_HEADING = 'Select Your Preferred Cloud Service or Platform';

test('sign up, first login, Integrations, profile menu, sign out and back in', async ({ page }, testInfo) => {
  const consoleErrors = watchConsole(page);
  const email = uniqueEmail(testInfo);

  // Signed out, every page leads to sign-in.
  await page.goto('/integrations');
  await expect(page).toHaveURL(/\/signin\?next=/);
  await expect(page.getByRole('heading', { name: 'Log in to the Platform' })).toBeVisible();
  await expectAccessible(page, 'sign-in');

  // The page's stylesheet is the built one, under its content-hashed name, cached for good.
  const stylesheet = await page.locator('link#xops-css').getAttribute('href');
  expect(stylesheet).toMatch(/^\/pkg\/xops\.[0-9a-f]{16}\.css$/);
  const css = await page.request.get(stylesheet!);
  expect(css.status()).toBe(200);
  expect(css.headers()['content-type']).toContain('text/css');
  expect(css.headers()['cache-control']).toContain('immutable');

  // Sign-up creates the organization and lands on the first-login selection screen.
  await signUp(page, `Acme ${testInfo.project.name}`, email, PASSWORD);
  await expect(page).toHaveURL(/\/select-platform$/);
  await expect(page.getByRole('heading', { name: SELECT_HEADING })).toBeVisible();
  for (const card of ['AWS (Amazon Web Services)', 'EKS', 'Azure', 'Microsoft']) {
    await expect(page.locator('.card-grid').getByRole('link', { name: card })).toBeVisible();
  }

  // While nothing is connected, Home leads to the selection screen too.
  await page.goto('/');
  await expect(page).toHaveURL(/\/select-platform$/);
  await ready(page);

  // Left side navigation → Integrations: four cards, each saying how to add an account.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Integrations' }).click();
  await expect(page.getByRole('heading', { name: 'Integrations', level: 1 })).toBeVisible();
  for (const [card, noun] of [['AWS (Amazon Web Services)', 'AWS'], ['Azure', 'Azure'], ['Microsoft', 'Microsoft'], ['EKS', 'EKS']]) {
    await expect(page.getByRole('region', { name: card })).toContainText(`No ${noun} accounts linked yet`);
  }

  // Top right: Select account → Add Cloud Account leads to the selection screen.
  await page.locator('.account-selector > summary').click();
  await page.getByRole('link', { name: 'Add Cloud Account' }).click();
  await expect(page.getByRole('heading', { name: SELECT_HEADING })).toBeVisible();

  // Bottom left: the profile menu shows the email; Accounts leads to Integrations.
  await openProfileMenu(page);
  await expect(page.locator('.profile-menu .menu-heading')).toContainText(email);
  await page.locator('.profile-menu').getByRole('link', { name: 'Accounts' }).click();
  await expect(page).toHaveURL(/\/integrations$/);

  // Sign out ends the session.
  await openProfileMenu(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin/);
  await expect(page.getByText('You have been signed out.')).toBeVisible();
  await page.goto('/integrations');
  await expect(page).toHaveURL(/\/signin/);

  // A wrong password gets the one generic message; the right one signs in.
  await page.goto('/signin');
  await signIn(page, email, 'not the password');
  await expect(page.getByText('Invalid email or password.')).toBeVisible();
  await page.goto('/signin');
  await signIn(page, email, PASSWORD);
  await expect(page.getByRole('heading', { name: SELECT_HEADING })).toBeVisible();

  expect(consoleErrors).toEqual([]);
});

test('sign-up problems are shown next to their fields', async ({ page }, testInfo) => {
  const email = uniqueEmail(testInfo);
  await signUp(page, 'Short password Inc', email, 'short');
  await expect(page.locator('#password-error')).toHaveText('Use at least 8 characters for your password.');
  await expectAccessible(page, 'choosing a password, with its error');

  // The same link still works with a good password.
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/select-platform$/);

  // Signing up again with the address does not say it has an account (the page is the same);
  // the mailbox is told, with a way to sign in.
  await page.context().clearCookies();
  const before = mailsTo(email);
  await requestSignUp(page, 'Second Inc', email.toUpperCase());
  await expect(page.getByText('exists')).toHaveCount(0);
  await expectAccessible(page, 'Check your inbox');
  const note = await newMail(email, before);
  expect(note).toContain('Subject: You already have an Xops 360 account');
  expect(note).toMatch(/\/signin/);
});

test('forgot password: the mailed link sets a new password, once', async ({ page }, testInfo) => {
  const consoleErrors = watchConsole(page);
  const email = uniqueEmail(testInfo, 'forgot');
  await signUp(page, `Forgot ${testInfo.project.name}`, email, PASSWORD);
  await expect(page).toHaveURL(/\/select-platform$/);
  await page.context().clearCookies();

  await page.goto('/signin');
  await ready(page);
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page.getByRole('heading', { name: 'Forgot password' })).toBeVisible();
  await ready(page);
  await expectAccessible(page, 'Forgot password');
  const before = mailsTo(email);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByRole('heading', { name: 'Check your inbox' })).toBeVisible();
  const mail = await newMail(email, before);
  const link = mail.match(/https?:\/\/\S+\/reset-password\/[A-Za-z0-9_-]+/)?.[0];
  expect(link, mail).toBeTruthy();

  await page.goto(link!);
  await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  await ready(page);
  await expectAccessible(page, 'Choose a new password');
  await page.getByLabel('New password').fill('a brand new passphrase');
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByText('Password changed. Sign in with the new one.')).toBeVisible();
  await signIn(page, email, 'a brand new passphrase');
  await expect(page.getByRole('heading', { name: SELECT_HEADING })).toBeVisible();

  // The link was spent.
  await page.goto(link!);
  await expect(page.getByRole('heading', { name: 'This link no longer works' })).toBeVisible();
  expect(consoleErrors).toEqual([]);
});
