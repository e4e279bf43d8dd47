import { CDPSession, expect, Page, test } from '@playwright/test';
import { expectAccessible, jsEnabled, openProfileMenu, ready, signIn, signUp, uniqueEmail, watchConsole } from './helpers';

const PASSWORD = 'correct horse battery';

/** Chromium's virtual authenticator (the DevTools protocol's WebAuthn domain): a platform
 * authenticator that keeps discoverable credentials and verifies its user. */
async function virtualAuthenticator(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return cdp;
}

async function signOut(page: Page) {
  await ready(page);
  await openProfileMenu(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin/);
}

test('a passkey: added under Security, then a second factor after the password, then a sign-in of its own', async ({ page }, testInfo) => {
  const email = uniqueEmail(testInfo, 'passkey');
  await signUp(page, `Passkey ${testInfo.project.name} ${Date.now()}`, email, PASSWORD);
  await expect(page).toHaveURL(/\/select-platform$/);
  if (!jsEnabled()) {
    // Without JavaScript the pages say so, and offer the password and an authenticator code.
    await page.goto('/account/security');
    await expect(page.getByText('Adding a passkey needs JavaScript')).toBeVisible();
    // No button that could do nothing.
    await expect(page.getByRole('button', { name: 'Add a passkey' })).toBeHidden();
    await signOut(page);
    await expect(page.getByText('Passkeys need JavaScript')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Sign in with a passkey' })).toBeHidden();
    return;
  }
  const consoleErrors = watchConsole(page);
  await virtualAuthenticator(page);
  await page.goto('/account/security');
  await ready(page);
  // With JavaScript the note saying passkeys need it goes.
  await expect(page.getByText('Adding a passkey needs JavaScript')).toBeHidden();
  await page.getByLabel('Name of the new passkey').fill('Work laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page.getByRole('status').first()).toContainText('Passkey added');
  await expect(page.locator('li[data-passkey-name="Work laptop"]')).toContainText('last used Never');
  // The first second factor comes with recovery codes, shown once.
  await expect(page.locator('.recovery-codes code')).toHaveCount(10);
  await expectAccessible(page, 'Security, with a passkey');

  // Password, then the passkey.
  await signOut(page);
  await signIn(page, email, PASSWORD);
  await expect(page).toHaveURL(/\/signin\/verify/);
  await ready(page);
  await page.getByRole('button', { name: 'Use a passkey instead' }).click();
  await expect(page).toHaveURL(/\/select-platform/);

  // The passkey alone: no email, no password.
  await signOut(page);
  await ready(page);
  await expectAccessible(page, 'Sign in, with the passkey button');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page).toHaveURL(/\/select-platform/);
  await page.goto('/account/security');
  await expect(page.locator('li[data-passkey-name="Work laptop"]')).not.toContainText('last used Never');

  // Removing it asks for a second factor again: the passkey itself answers.
  const row = page.locator('li[data-passkey-name="Work laptop"]');
  await ready(page);
  await row.getByRole('button', { name: 'Remove passkey Work laptop' }).click();
  await expect(row.getByText('or a recovery code, or use a passkey')).toBeVisible();
  await row.getByRole('button', { name: 'Confirm with a passkey' }).click();
  await expect(page.getByRole('status').first()).toContainText('Passkey removed');
  await expect(page.locator('li[data-passkey-name="Work laptop"]')).toHaveCount(0);

  // Sessions lists this browser.
  await page.goto('/account/sessions');
  await expect(page.getByRole('heading', { name: 'Sessions', level: 1 })).toBeVisible();
  await expect(page.locator('tbody tr').first()).toContainText('This browser');
  await expectAccessible(page, 'Sessions');
  expect(consoleErrors).toEqual([]);
});
