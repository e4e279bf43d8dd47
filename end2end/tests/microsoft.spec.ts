import { expect, Page, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { expectAccessible, jsEnabled, ready, signUp, uniqueEmail, watchConsole } from './helpers';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const entra = () => `http://127.0.0.1:${process.env.XOPS_E2E_ENTRA_PORT}`;

async function registerApp(appId: string, roles: string[]) {
  await fetch(`${entra()}/_double/app`, { method: 'POST', body: JSON.stringify({ tenant: TENANT, appId, roles }) });
}

/**
 * The guide's order: the fields are filled, then one click on Generate Public Key & Download
 * downloads the .cer (JavaScript on or off), the page shows its thumbprint and keeps what was
 * typed; then the .cer is "uploaded" to the app in the double.
 */
async function generateAndUpload(page: Page, appId: string) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Generate Public Key & Download' }).click(),
  ]);
  await expect(page.locator('.thumbprint')).toHaveText(/^[0-9A-F]{40}$/);
  await expect(page.getByLabel('App ID')).toHaveValue(appId);
  await ready(page);
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
  await expectAccessible(page, 'Link a New Azure Account');
  await page.getByLabel('Friendly name').fill('Contoso');
  await page.getByLabel('App ID').fill(appId);
  await page.getByLabel('Tenant ID').fill(TENANT);
  await generateAndUpload(page, appId);
  await page.getByRole('button', { name: 'Connect' }).click();

  await expect(page.getByRole('heading', { name: 'Subscription Management' })).toBeVisible();
  await ready(page);
  await expectAccessible(page, 'Subscription Management');
  await page.getByLabel(/Production/).check();
  await page.getByLabel(/Staging/).check();
  await expect(page.getByLabel(/Legacy/)).toBeDisabled();
  await page.getByRole('button', { name: 'Update' }).click();
  // One notice, and the check boxes show what the server stored (as after a reload).
  await expect(page.getByRole('status')).toHaveText('Subscriptions updated: 2 connected, 0 disconnected.');
  await expect(page.getByLabel(/Legacy/)).not.toBeChecked();
  await expect(page.getByLabel(/Production/)).toBeChecked();
  await ready(page);
  await page.getByLabel(/Production/).uncheck();
  await page.getByRole('button', { name: 'Update' }).click();
  await expect(page.getByRole('status')).toHaveText('Subscriptions updated: 0 connected, 1 disconnected.');
  await expect(page.getByLabel(/Legacy/)).not.toBeChecked();
  await expect(page.getByLabel(/Production/)).not.toBeChecked();
  await expect(page.getByLabel(/Staging/)).toBeChecked();
  // Every box as the server stored it: the same as after a reload.
  const boxes = () => page.locator('ul.subscriptions input[type=checkbox]')
    .evaluateAll((inputs) => inputs.map((i) => `${(i as HTMLInputElement).value}=${(i as HTMLInputElement).checked}`));
  const shown = await boxes();
  await page.reload();
  expect(await boxes()).toEqual(shown);
  await expect(page.locator('ul.subscriptions').first()).toContainText('Staging');

  // A whole management group: Production, inside Workloads, is connected through it, its own
  // box locked; clearing the group disconnects it again.
  await ready(page);
  await page.getByLabel('Every subscription under Workloads').check();
  await page.getByRole('button', { name: 'Update' }).click();
  await expect(page.getByRole('status')).toHaveText('Subscriptions updated: 1 connected, 0 disconnected.');
  await expect(page.getByLabel(/Production/)).toBeChecked();
  await expect(page.getByLabel(/Production/)).toBeDisabled();
  await expect(page.getByText('through management group Workloads')).toBeVisible();
  await ready(page);
  await page.getByLabel('Every subscription under Workloads').uncheck();
  await page.getByRole('button', { name: 'Update' }).click();
  await expect(page.getByRole('status')).toHaveText('Subscriptions updated: 0 connected, 1 disconnected.');
  await expect(page.getByLabel(/Production/)).not.toBeChecked();
  await expect(page.getByLabel(/Staging/)).toBeChecked();

  // Integrations → Azure → Edit: the same page, with Refresh, the filter and Change name.
  await page.goto('/integrations');
  await ready(page);
  await page.getByRole('region', { name: 'Azure' }).locator('tr[data-account="Contoso"]').getByRole('link', { name: 'Edit' }).click();
  await expect(page.getByRole('heading', { name: 'Subscription Management' })).toBeVisible();
  await ready(page);
  await page.getByRole('button', { name: 'Refresh' }).click();
  await expect(page.getByText('The list of subscriptions was read from Azure again.')).toBeVisible();
  if (jsEnabled()) {
    await ready(page);
    await page.getByLabel('Filter subscriptions').fill('stag');
    await expect(page.getByLabel(/Production/)).toBeHidden();
    await expect(page.getByLabel(/Staging/)).toBeVisible();
    await page.getByLabel('Filter subscriptions').fill('');
  }
  await page.getByRole('link', { name: 'Change name' }).click();
  const rename = page.getByRole('dialog', { name: 'Edit account name' });
  await ready(page);
  await rename.getByLabel('Azure Account Name').fill('Contoso Azure');
  await rename.getByRole('button', { name: 'Proceed' }).click();
  await expect(page).toHaveURL(/\/accounts\/\d+\/subscriptions\?notice=renamed$/);
  await expect(page.getByText('Account name updated')).toBeVisible();
  expect(consoleErrors).toEqual([]);
});

test('M365 and Entra ID are linked with their permissions', async ({ page }, testInfo) => {
  const consoleErrors = watchConsole(page);
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
  await expectAccessible(page, 'Link a New Microsoft Account');
  await page.getByLabel('Friendly name').fill('Contoso 365');
  await page.getByLabel('App ID').fill(m365);
  await page.getByLabel('Tenant ID').fill(TENANT);
  await page.getByLabel('Organization ID').fill('contoso.onmicrosoft.com');
  await generateAndUpload(page, m365);
  await expect(page.getByLabel('Organization ID')).toHaveValue('contoso.onmicrosoft.com');
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.locator('tr[data-account="Contoso 365"]')).toContainText('Connected');

  await page.goto('/integrations/microsoft/entra');
  // The Information ("i") button shows and hides the setup guidance (shown at first here).
  await expect(page.getByRole('button', { name: 'Information' })).toBeVisible();
  await expect(page.getByText('AccessReview.Read.All').first()).toBeVisible();
  await ready(page);
  await page.getByLabel('Friendly name').fill('Directory');
  await page.getByLabel('App ID').fill(entraApp);
  await page.getByLabel('Tenant ID').fill(TENANT);
  await generateAndUpload(page, entraApp);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.locator('tr[data-account="Directory"]')).toContainText('Microsoft Entra ID');
  await expect(page.locator('table.accounts th').nth(2)).toHaveText('Tenant ID');
  await ready(page);
  await expectAccessible(page, 'the Microsoft card');

  // A Microsoft account is re-tested, renamed and deleted like any other.
  await ready(page);
  await page.locator('tr[data-account="Directory"]').getByRole('button', { name: 'Re-test' }).click();
  await expect(page.getByText('Connection re-tested')).toBeVisible();
  await ready(page);
  await page.locator('tr[data-account="Directory"]').getByRole('link', { name: 'Edit' }).click();
  const rename = page.getByRole('dialog', { name: 'Edit account name' });
  await ready(page);
  await rename.getByRole('textbox').fill('Directory EU');
  await rename.getByRole('button', { name: 'Proceed' }).click();
  await expect(page.getByText('Account name updated')).toBeVisible();
  await ready(page);
  await page.locator('tr[data-account="Directory EU"]').getByRole('link', { name: 'Delete' }).click();
  const remove = page.getByRole('dialog', { name: 'Delete account' });
  await ready(page);
  await remove.getByLabel(/Enter the account name/).fill('Directory EU');
  await remove.getByRole('button', { name: 'Delete Account' }).click();
  await expect(page.getByText('Account has been deleted.')).toBeVisible();
  await expect(page).toHaveURL(/\/integrations\/microsoft\?notice=deleted$/);
  await expect(page.locator('tr[data-account="Directory EU"]')).toHaveCount(0);
  expect(consoleErrors).toEqual([]);
});
