import { expect, test } from '@playwright/test';
import { expectAccessible, openProfileMenu, ready, signUp, uniqueEmail, watchConsole } from './helpers';

test('an Admin makes an API token, sees it once, reads the organization with it, and revokes it', async ({ page, request }, testInfo) => {
  const consoleErrors = watchConsole(page);
  await signUp(page, `Tokens ${testInfo.project.name} ${Date.now()}`, uniqueEmail(testInfo, 'tokens'), 'correct horse battery');
  await expect(page).toHaveURL(/\/select-platform$/);
  await ready(page);
  await openProfileMenu(page);
  await page.locator('.profile-menu').getByRole('link', { name: 'API tokens' }).click();
  await expect(page.getByRole('heading', { name: 'API tokens', level: 1 })).toBeVisible();
  await ready(page);
  await page.getByLabel('Name').fill('Terraform in CI');
  await page.getByLabel('Scope').selectOption('read');
  await page.getByLabel('Allowed networks (optional)').fill('not a network');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByText('Give addresses or CIDR blocks')).toBeVisible();
  await page.getByLabel('Allowed networks (optional)').fill('');
  await page.getByLabel('Name').fill('Terraform in CI');
  await page.getByRole('button', { name: 'Create token' }).click();

  const shown = page.locator('.secret-once code.secret');
  await expect(shown).toContainText('xops_');
  const secret = (await shown.innerText()).trim();
  await expect(page.locator('tr[data-token="Terraform in CI"]')).toContainText('read');
  await expectAccessible(page, 'API tokens');
  const res = await request.get('/api/v1/organization', { headers: { Authorization: `Bearer ${secret}` } });
  expect(res.status()).toBe(200);
  expect((await res.json()).external_id).toMatch(/^xops-/);

  // Shown once: not on the next visit. Revoked: refused at once.
  await page.goto('/settings/api-tokens');
  await expect(page.locator('.secret-once')).toHaveCount(0);
  await page.getByRole('button', { name: 'Revoke token Terraform in CI' }).click();
  await expect(page.getByRole('status').first()).toContainText('Token revoked');
  const after = await request.get('/api/v1/organization', { headers: { Authorization: `Bearer ${secret}` } });
  expect(after.status()).toBe(401);

  // The reference, rendered from the OpenAPI document the API serves.
  await page.getByRole('link', { name: 'API reference' }).click();
  await expect(page.getByRole('heading', { name: 'API reference', level: 1 })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'POST /api/v1/accounts/aws', level: 3 })).toBeVisible();
  await expectAccessible(page, 'API reference');
  expect(consoleErrors).toEqual([]);
});
