import { expect, test } from '@playwright/test';
import { expectAccessible, openProfileMenu, ready, signIn, signUp, uniqueEmail, watchConsole } from './helpers';

const PASSWORD = 'correct horse battery';

test('EKS end to end, Home at the next sign-in, the cards, dialogs and Support, all accessible', async ({ page }, testInfo) => {
  const consoleErrors = watchConsole(page);
  const email = uniqueEmail(testInfo, 'guide');
  await signUp(page, `Guide ${testInfo.project.name}`, email, PASSWORD);
  await expect(page).toHaveURL(/\/select-platform$/);
  await ready(page);
  await expectAccessible(page, 'the selection page');

  // The selection's AWS card opens Select AWS Account Type as a window over the page.
  await page.locator('.card-grid').getByRole('link', { name: 'AWS (Amazon Web Services)' }).click();
  await expect(page.getByRole('dialog', { name: 'Select AWS Account Type' })).toBeVisible();
  await ready(page);
  await expectAccessible(page, 'Select AWS Account Type');
  await page.getByRole('dialog').getByRole('link', { name: 'Close' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);

  // EKS: the card, the guide's form, Connect with a role AWS confirms.
  await page.locator('.card-grid').getByRole('link', { name: 'EKS' }).click();
  await expect(page.getByRole('heading', { name: 'Link a New AWS Account' })).toBeVisible();
  await ready(page);
  await expectAccessible(page, 'the EKS form');
  await page.getByLabel('AWS Account Name').fill('Clusters');
  await page.getByLabel('AWS Role ARN').fill('arn:aws:iam::123456789012:role/XopsEksReadOnlyAccess');
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page).toHaveURL(/\/integrations\/eks\?notice=linked-eks$/);
  await expect(page.locator('tr[data-account="Clusters"]')).toContainText('Connected');
  await ready(page);
  await page.locator('tr[data-account="Clusters"]').getByRole('button', { name: 'Re-test' }).click();
  await expect(page.getByText('Connection re-tested')).toBeVisible();

  // The next sign-in lands on Home: the selection screen no longer appears.
  await openProfileMenu(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin/);
  await signIn(page, email, PASSWORD);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { name: 'Home', level: 1 })).toBeVisible();
  await ready(page);
  await expectAccessible(page, 'Home');

  // Home's Edit opens the window over Home, and Proceed comes back to Home.
  await page.getByRole('region', { name: 'Current account' }).getByRole('link', { name: 'Edit' }).click();
  const rename = page.getByRole('dialog', { name: 'Edit account name' });
  await expect(rename).toBeVisible();
  await ready(page);
  await expectAccessible(page, 'Edit account name');
  await rename.getByLabel('EKS Account Name').fill('EKS clusters');
  await rename.getByRole('button', { name: 'Proceed' }).click();
  await expect(page).toHaveURL(/\/\?notice=renamed$/);
  await expect(page.getByText('Account name updated')).toBeVisible();

  // Integrations: every card's Add Account leads where the guide says.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Integrations' }).click();
  await expect(page.getByRole('heading', { name: 'Integrations', level: 1 })).toBeVisible();
  await ready(page);
  await expectAccessible(page, 'Integrations');
  const card = (name: string) => page.getByRole('region', { name });
  await card('AWS (Amazon Web Services)').getByRole('link', { name: 'Add Account' }).click();
  await expect(page.getByRole('dialog', { name: 'Select AWS Account Type' })).toBeVisible();
  await expect(page.getByRole('dialog').getByRole('link', { name: /Management Account/ })).toHaveAttribute('href', '/integrations/aws/link/management?from=%2Fintegrations');
  await page.getByRole('dialog').getByRole('link', { name: 'Close' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await card('Azure').getByRole('link', { name: 'Add Account' }).click();
  await expect(page.getByRole('heading', { name: 'Link a New Azure Account' })).toBeVisible();
  await page.goBack();
  await card('Microsoft').getByRole('link', { name: 'Add Account for Microsoft' }).click();
  await page.getByRole('link', { name: /Entra ID/ }).click();
  await expect(page.getByRole('heading', { name: 'Link a New Microsoft Account' })).toBeVisible();
  await expect(page.getByLabel('App ID')).toBeVisible();
  await page.goto('/integrations');
  await card('EKS').getByRole('link', { name: 'Add Account' }).click();
  await expect(page).toHaveURL(/\/integrations\/eks$/);

  // Delete from Integrations: the name typed, Delete Account, back on Integrations.
  await page.goto('/integrations');
  await ready(page);
  await card('EKS').locator('tr[data-account="EKS clusters"]').getByRole('link', { name: 'Delete' }).click();
  const remove = page.getByRole('dialog', { name: 'Delete account' });
  await ready(page);
  await expectAccessible(page, 'Delete account');
  await remove.getByLabel(/Enter the account name/).fill('EKS clusters');
  await remove.getByRole('button', { name: 'Delete Account' }).click();
  await expect(page).toHaveURL(/\/integrations\?notice=deleted$/);
  await expect(page.getByText('Account has been deleted.')).toBeVisible();
  await expect(page.locator('tr[data-account="EKS clusters"]')).toHaveCount(0);

  // Support from the profile menu.
  await openProfileMenu(page);
  await page.getByRole('link', { name: 'Support' }).click();
  await expect(page.getByRole('heading', { name: 'Support', level: 1 })).toBeVisible();
  await ready(page);
  await expectAccessible(page, 'Support');
  expect(consoleErrors).toEqual([]);
});
