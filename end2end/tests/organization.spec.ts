import { expect, test } from '@playwright/test';
import { createMotoUnits, expectAccessible, guardRole, linkPayer, ready, signUp, uniqueEmail, watchConsole } from './helpers';

// From the management account: read its AWS Organization, see the tree, exclude a unit, Link
// accounts and watch the run finish, then Retry failed once the missing role is there.
test('onboard an AWS Organization from its management account', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const consoleErrors = watchConsole(page);
  const tag = `${testInfo.project.name}-${Date.now()}`;
  const accounts = createMotoUnits(tag);
  const missing = accounts[`Workloads ${tag} 1`];
  const missingRole = `arn:aws:iam::${missing}:role/XopsReadOnlyAccess`;
  await guardRole('deny', missingRole);

  await signUp(page, `Org ${testInfo.project.name}`, uniqueEmail(testInfo, 'org'), 'correct horse battery');
  await expect(page).toHaveURL(/\/select-platform/);
  await linkPayer(page);

  // The management account's row leads to its organization.
  await page.locator('tr[data-account="Payer"]').getByRole('link', { name: 'Organization' }).click();
  await expect(page.getByRole('heading', { name: 'AWS Organization' })).toBeVisible();
  await ready(page);
  await page.getByRole('button', { name: 'Read the organization' }).click();
  await expect(page.getByText('The organization was read from AWS')).toBeVisible();
  await expect(page).toHaveURL(/notice=organization-read/);
  await ready(page);
  const units = page.getByRole('list', { name: 'Organizational units' });
  await expect(units.getByRole('link', { name: `Workloads ${tag}` })).toBeVisible();
  await expect(units.getByRole('link', { name: `Sandbox ${tag}` })).toBeVisible();

  // A unit's accounts are a click away.
  await units.getByRole('link', { name: `Workloads ${tag}` }).click();
  await expect(page).toHaveURL(/unit=ou-/);
  await expect(page.getByRole('heading', { name: `Accounts directly in Workloads ${tag}` })).toBeVisible();
  await ready(page);
  await expect(page.locator(`tr[data-account="${missing}"]`)).toContainText('Not linked');
  await expectAccessible(page, 'AWS Organization');

  // Exclude the sandbox: its accounts are not linked.
  await ready(page);
  await units.getByRole('button', { name: `Exclude Sandbox ${tag}` }).click();
  await expect(page.getByText('Saved: exclusions apply')).toBeVisible();
  await expect(units.getByRole('button', { name: `Include Sandbox ${tag}` })).toBeVisible();

  // Link accounts: the progress shows until the run is done, then the failure with its fix.
  await ready(page);
  // One role answers only when the test lets it, so the run is seen going, then done: live
  // with JavaScript, by the page refreshing itself without.
  await guardRole('hold', missingRole);
  await page.getByRole('button', { name: /^Link accounts \(\d+\)$/ }).click();
  await expect(page.getByText('Linking started')).toBeVisible();
  await expect(page.locator('.run-status')).toContainText(/Linking: \d+ of \d+ checked/);
  await guardRole('release');
  await expect(page.locator('.run-status')).toContainText('Last run', { timeout: 60_000 });
  const failure = page.locator(`.run-failures li[data-account="${missing}"]`);
  await expect(failure).toContainText(`The role is missing in account ${missing}`);
  await expect(page.locator(`tr[data-account="${accounts[`Workloads ${tag} 0`]}"]`)).toContainText('Linked here');
  await expect(page.locator('progress')).toBeVisible();

  // The role is deployed now: Retry failed links it.
  await guardRole('allow', missingRole);
  await ready(page);
  await page.getByRole('button', { name: 'Retry failed' }).click();
  await expect(page.locator('.run-status')).toContainText(/Last run .*: 1 linked, 0 with a warning, 0 failed/, { timeout: 60_000 });
  await expect(page.locator(`tr[data-account="${missing}"]`)).toContainText('Linked here');
  // The sandbox stayed out of both runs.
  await units.getByRole('link', { name: `Sandbox ${tag}` }).click();
  await expect(page.getByRole('heading', { name: `Accounts directly in Sandbox ${tag}` })).toBeVisible();
  await ready(page);
  await expect(page.locator(`tr[data-account="${accounts[`Sandbox ${tag} 0`]}"]`)).toContainText('Excluded');
  await expectAccessible(page, 'AWS Organization after linking');
  expect(consoleErrors).toEqual([]);
});
