import { expect, test } from '@playwright/test';
import { expectAccessible, jsEnabled, openProfileMenu, ready, signUp, uniqueEmail, watchConsole } from './helpers';

// STS through the trust-policy guard: a role can be opened there (its External ID condition
// dropped), as a customer editing the trust policy after linking would.
const stsURL = `http://127.0.0.1:${process.env.XOPS_E2E_STS_PORT}`;

test('Home shows the health dashboard: counts, what needs attention first, and each account’s last checks', async ({ page, request }, testInfo) => {
  const consoleErrors = watchConsole(page);
  await signUp(page, `Health ${testInfo.project.name}`, uniqueEmail(testInfo, 'health'), 'correct horse battery');
  await expect(page).toHaveURL(/\/select-platform$/);
  // Each project has its own roles: the guard's opened roles are shared by the whole run.
  const account = jsEnabled() ? '111122223333' : '444455556666';
  const payerArn = `arn:aws:iam::${account}:role/XopsHealthPayer`;

  // A healthy EKS account and a management account whose role is later opened to anyone.
  await page.goto('/integrations/eks');
  await ready(page);
  await page.getByLabel('AWS Account Name').fill('Clusters');
  await page.getByLabel('AWS Role ARN').fill(`arn:aws:iam::${account}:role/XopsHealthEks`);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page).toHaveURL(/\/integrations\/eks\?notice=linked-eks$/);
  await page.goto('/integrations/aws/link/management');
  await ready(page);
  await page.getByLabel('AWS Account Name').fill('Payer');
  await page.getByLabel('AWS Role ARN').fill(payerArn);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page).toHaveURL(/\/integrations\/aws\?notice=linked/);

  const opened = await request.post(`${stsURL}/_guard/open`, { data: { role: payerArn } });
  expect(opened.ok()).toBeTruthy();
  await ready(page);
  await page.locator('tr[data-account="Payer"]').getByRole('button', { name: 'Re-test' }).click();
  await expect(page.getByText('Connection re-tested')).toBeVisible();

  await page.goto('/');
  await ready(page);
  const health = page.getByRole('region', { name: 'Health' });
  await expect(health.locator('.tile-connected')).toContainText('1');
  await expect(health.locator('.tile-warning')).toContainText('1');
  await expect(health.locator('.tile-failed')).toContainText('0');
  // What needs attention, with the change named and its fix, and Re-test beside it.
  const attention = health.locator('table.accounts tr[data-account="Payer"]');
  await expect(attention).toContainText('The role no longer requires your External ID');
  await expect(attention.getByRole('button', { name: 'Re-test' })).toBeVisible();
  await expect(health.locator('table.accounts tr[data-account="Clusters"]')).toHaveCount(0);
  // The timelines: Payer linked (green) then re-tested (amber), oldest first; Clusters green.
  const payer = health.locator('table.timelines tr', { hasText: 'Payer' });
  await expect(payer.locator('.beat')).toHaveCount(2);
  await expect(payer.locator('.beat').nth(0)).toHaveClass(/beat-connected/);
  await expect(payer.locator('.beat').nth(1)).toHaveClass(/beat-warning/);
  await expect(payer.locator('.beat').nth(1)).toHaveAttribute('title', /Re-test · Warning · \d+ ms$/);
  await expect(health.locator('table.timelines tr', { hasText: 'Clusters' }).locator('.beat-connected')).toHaveCount(1);
  await expectAccessible(page, 'Home with the health dashboard');

  // Where the organization is told: Notifications, from the profile menu.
  await openProfileMenu(page);
  await page.getByRole('link', { name: 'Notifications' }).click();
  await expect(page.getByRole('heading', { name: 'Notifications', level: 1 })).toBeVisible();
  await ready(page);
  await page.getByLabel('Email address').fill('ops@example.com');
  await page.getByRole('button', { name: 'Add address' }).click();
  await expect(page.getByText('Added: it gets the next notification.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Remove ops@example.com' })).toBeVisible();
  await page.getByLabel('Webhook URL').fill('http://hooks.example.com/xops');
  await page.getByRole('button', { name: 'Add webhook' }).click();
  await expect(page.locator('#url-error')).toContainText('https only');
  await expectAccessible(page, 'Notifications');
  expect(consoleErrors).toEqual([]);
});
