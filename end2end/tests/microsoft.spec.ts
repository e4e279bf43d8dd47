import { expect, Page, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { ready, signUp, uniqueEmail, watchConsole } from './helpers';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const entra = () => `http://127.0.0.1:${process.env.XOPS_E2E_ENTRA_PORT}`;

async function registerApp(appId: string, roles: string[]) {
  await fetch(`${entra()}/_double/app`, { method: 'POST', body: JSON.stringify({ tenant: TENANT, appId, roles }) });
}

/** Generate Public Key & Download, then "upload" the downloaded .cer to the app in the double. */
async function generateAndUpload(page: Page, appId: string) {
  await page.getByRole('button', { name: 'Generate Public Key & Download' }).click();
  const link = page.getByRole('link', { name: 'Download certificate (.cer)' });
  await expect(link).toBeVisible();
  await expect(page.locator('.thumbprint')).toHaveText(/^[0-9A-F]{40}$/);
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const pem = readFileSync(await download.path(), 'utf8');
  expect(pem).toContain('BEGIN CERTIFICATE');
  expect(pem).not.toContain('PRIVATE');
  await fetch(`${entra()}/_double/upload`, { method: 'POST', body: JSON.stringify({ appId, pem }) });
}

test('Azure: certificate, connect, select and deselect subscriptions', async ({ page }, testInfo) => {
  const consoleErrors = watchConsole(page);
  const appId = testInfo.project.name === 'js-on' ? '0b6c4f3a-1d2e-4f5a-8b9c-000000000001' : '0b6c4f3a-1d2e-4f5a-8b9c-000000000002';
  await registerApp(appId, []);
  await signUp(page, `Azure ${testInfo.project.name}`, uniqueEmail(testInfo, 'azure'), 'correct horse battery');
  await expect(page).toHaveURL(/\/select-platform$/);
  await ready(page);
  await page.locator('.card-grid').getByRole('link', { name: 'Azure' }).click();
  await expect(page.getByRole('heading', { name: 'Link a New Azure Account' })).toBeVisible();
  await expect(page.locator('.guidance')).toContainText('Global Reader');
  await expect(page.locator('.guidance')).toContainText('Cost Management Reader');
  await ready(page);
  await generateAndUpload(page, appId);
  await page.getByLabel('Friendly name').fill('Contoso');
  await page.getByLabel('App ID').fill(appId);
  await page.getByLabel('Tenant ID').fill(TENANT);
  await page.getByRole('button', { name: 'Connect' }).click();

  await expect(page.getByRole('heading', { name: 'Subscription Management' })).toBeVisible();
  await ready(page);
  await page.getByLabel(/Production/).check();
  await page.getByLabel(/Staging/).check();
  await expect(page.getByLabel(/Legacy/)).toBeDisabled();
  await page.getByRole('button', { name: 'Update' }).click();
  await expect(page.getByText('2 subscription(s) connected, 0 disconnected.')).toBeVisible();
  await ready(page);
  await page.getByLabel(/Production/).uncheck();
  await page.getByRole('button', { name: 'Update' }).click();
  await expect(page.getByText('0 subscription(s) connected, 1 disconnected.')).toBeVisible();
  await expect(page.locator('ul.subscriptions').first()).toContainText('Staging');
  expect(consoleErrors).toEqual([]);
});

test('M365 and Entra ID are linked with their permissions', async ({ page }, testInfo) => {
  const suffix = testInfo.project.name === 'js-on' ? '1' : '2';
  const m365 = `0b6c4f3a-1d2e-4f5a-8b9c-00000000010${suffix}`;
  const entraApp = `0b6c4f3a-1d2e-4f5a-8b9c-00000000020${suffix}`;
  await registerApp(m365, ['Exchange.ManageAsApp']);
  await registerApp(entraApp, ['AccessReview.Read.All']);
  await signUp(page, `MS ${testInfo.project.name}`, uniqueEmail(testInfo, 'ms'), 'correct horse battery');
  await expect(page).toHaveURL(/\/select-platform$/);

  await page.goto('/integrations/microsoft');
  await ready(page);
  await page.getByRole('link', { name: /M365/ }).click();
  await expect(page.getByRole('heading', { name: 'Link a New Microsoft Account' })).toBeVisible();
  await expect(page.locator('.guidance')).toContainText('O365_BUSINESS_PREMIUM');
  await ready(page);
  await generateAndUpload(page, m365);
  await page.getByLabel('Friendly name').fill('Contoso 365');
  await page.getByLabel('App ID').fill(m365);
  await page.getByLabel('Tenant ID').fill(TENANT);
  await page.getByLabel('Organization ID').fill('contoso.onmicrosoft.com');
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.locator('tr[data-account="Contoso 365"]')).toContainText('Connected');

  await page.goto('/integrations/microsoft/entra');
  // The Information ("i") button shows and hides the setup guidance (shown at first here).
  await expect(page.getByRole('button', { name: 'Information' })).toBeVisible();
  await expect(page.getByText('AccessReview.Read.All').first()).toBeVisible();
  await ready(page);
  await generateAndUpload(page, entraApp);
  await page.getByLabel('Friendly name').fill('Directory');
  await page.getByLabel('App ID').fill(entraApp);
  await page.getByLabel('Tenant ID').fill(TENANT);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.locator('tr[data-account="Directory"]')).toContainText('Microsoft Entra ID');
});
