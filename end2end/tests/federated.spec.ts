import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { expectAccessible, jsEnabled, ready, signUp, uniqueEmail, watchConsole } from './helpers';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const entra = () => `http://127.0.0.1:${process.env.XOPS_E2E_ENTRA_PORT}`;

test('Azure: link through a federated credential, with no certificate', async ({ page }, testInfo) => {
  const consoleErrors = watchConsole(page);
  const appId = testInfo.project.name === 'js-on' ? '0b6c4f3a-1d2e-4f5a-8b9c-0000000000f1' : '0b6c4f3a-1d2e-4f5a-8b9c-0000000000f2';
  await fetch(`${entra()}/_double/app`, { method: 'POST', body: JSON.stringify({ tenant: TENANT, appId, roles: [] }) });
  await signUp(page, `Federated ${testInfo.project.name}`, uniqueEmail(testInfo, 'federated'), 'correct horse battery');
  await ready(page);
  await page.locator('.card-grid').getByRole('link', { name: 'Azure' }).click();
  await expect(page.getByRole('heading', { name: 'Link a New Azure Account' })).toBeVisible();
  await page.getByLabel('Friendly name').fill('Contoso');
  await page.getByLabel('App ID').fill(appId);
  await page.getByLabel('Tenant ID').fill(TENANT);

  // The certificate is the default; choosing the federated credential shows its own step and
  // instructions instead (by CSS alone, so with JavaScript off too).
  await expect(page.getByRole('button', { name: 'Generate Public Key & Download' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Show Federated Credential Values' })).toBeHidden();
  await page.getByRole('group', { name: 'How Xops signs in' }).getByLabel('Federated credential (no certificate)').check();
  await expect(page.getByRole('button', { name: 'Generate Public Key & Download' })).toBeHidden();
  await expect(page.locator('.guidance')).toContainText('Federated credentials');
  await page.getByRole('button', { name: 'Show Federated Credential Values' }).click();

  // The three values, each with a Copy button; what was typed is kept.
  const issuer = page.getByLabel('Issuer', { exact: true });
  const subject = page.getByLabel('Subject identifier');
  await expect(subject).toHaveValue(/^xops:link:[0-9a-f]{32}$/);
  // The portal's own address here (XOPS_ISSUER_URL in production: an https:// URL).
  await expect(issuer).toHaveValue(/^http:\/\/localhost:\d+$/);
  await expect(page.getByLabel('Audience')).toHaveValue('api://AzureADTokenExchange');
  await expect(page.getByLabel('App ID')).toHaveValue(appId);
  await expect(page.getByLabel('Federated credential (no certificate)')).toBeChecked();
  await expect(page.locator('.federated-values').getByRole('button', { name: 'Copy' })).toHaveCount(3);
  await ready(page);
  await expectAccessible(page, 'Link a New Azure Account, federated credential values shown');

  // What the user enters in the Azure portal: Federated credentials → Add credential → Other
  // issuer. Entra honours it only a few seconds later: Connect keeps trying, and with
  // JavaScript the form says what Microsoft answers meanwhile.
  const values = { appId, issuer: await issuer.inputValue(), subject: await subject.inputValue(), audience: 'api://AzureADTokenExchange', delay: 8 };
  await fetch(`${entra()}/_double/federated`, { method: 'POST', body: JSON.stringify(values) });
  if (jsEnabled()) {
    // The progress line, seen while Connect runs. A browser cannot be looked at while its form
    // navigation is pending, so the form is sent here without navigating, and Connect itself
    // through the same session; then the page is loaded as its redirect would.
    await page.evaluate(() => {
      const form = document.querySelector<HTMLFormElement>('form:has(input[name="signs_in"])')!;
      form.addEventListener('submit', (e) => e.preventDefault());
    });
    await page.getByRole('button', { name: 'Connect' }).click();
    const connect = page.request.post('/api/link_microsoft_account', {
      form: { service: 'azure', name: 'Contoso', app_id: appId, tenant_id: TENANT, signs_in: 'federated', subject_id: await page.locator('input[name="subject_id"]').inputValue() },
      headers: { Origin: new URL(page.url()).origin, Accept: 'application/json' },
      maxRedirects: 0,
    });
    await expect(page.getByRole('status').filter({ hasText: /does not match the federated credential yet \(AADSTS70021, attempt \d+\)/ })).toBeVisible();
    expect((await connect).ok()).toBeTruthy();
  } else {
    await page.getByRole('button', { name: 'Connect' }).click();
    await expect(page.getByRole('heading', { name: 'Subscription Management' })).toBeVisible({ timeout: 30_000 });
  }

  // The list says how it signs in, and nothing expires; its sign-in page shows the values.
  await page.goto('/integrations/azure');
  const row = page.locator('tr[data-account="Contoso"]');
  await expect(row).toContainText('Signs in with a federated credential: nothing expires.');
  await expect(row).toContainText('Connected');
  await row.getByRole('link', { name: 'Manage sign-in' }).click();
  await expect(page.getByRole('heading', { name: 'How Xops signs in: Contoso' })).toBeVisible();
  const current = page.locator('.panel', { has: page.getByRole('heading', { name: 'Federated credential' }) });
  await expect(current.getByLabel('Subject identifier')).toHaveValue(values.subject);
  await ready(page);
  await expectAccessible(page, 'How Xops signs in');

  // Rotate subject: new values beside the current ones, which keep working until the switch.
  await page.getByRole('button', { name: 'Rotate subject' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'New federated credential values made' })).toBeVisible();
  const rotation = page.locator('.panel', { has: page.getByRole('heading', { name: 'Rotate subject' }) });
  const rotated = await rotation.getByLabel('Subject identifier').inputValue();
  expect(rotated).toMatch(/^xops:link:[0-9a-f]{32}$/);
  expect(rotated).not.toEqual(values.subject);
  await ready(page);
  await expectAccessible(page, 'How Xops signs in, with new values to switch to');
  await fetch(`${entra()}/_double/federated`, { method: 'POST', body: JSON.stringify({ ...values, subject: rotated, delay: 0 }) });
  await rotation.getByRole('button', { name: 'Verify and switch' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Xops now signs in through the federated credential' })).toBeVisible();
  await expect(current.getByLabel('Subject identifier')).toHaveValue(rotated);
  await expect(page.getByRole('button', { name: 'Rotate subject' })).toBeVisible();
  expect(consoleErrors).toEqual([]);
});

test('Azure: a certificate link switches to a federated credential, verified first', async ({ page }, testInfo) => {
  const consoleErrors = watchConsole(page);
  const appId = testInfo.project.name === 'js-on' ? '0b6c4f3a-1d2e-4f5a-8b9c-0000000000f3' : '0b6c4f3a-1d2e-4f5a-8b9c-0000000000f4';
  await fetch(`${entra()}/_double/app`, { method: 'POST', body: JSON.stringify({ tenant: TENANT, appId, roles: [] }) });
  await signUp(page, `Switch ${testInfo.project.name}`, uniqueEmail(testInfo, 'switch'), 'correct horse battery');
  await ready(page);
  await page.locator('.card-grid').getByRole('link', { name: 'Azure' }).click();
  await page.getByLabel('Friendly name').fill('Contoso');
  await page.getByLabel('App ID').fill(appId);
  await page.getByLabel('Tenant ID').fill(TENANT);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Generate Public Key & Download' }).click(),
  ]);
  await ready(page);
  const pem = readFileSync(await download.path(), 'utf8');
  await fetch(`${entra()}/_double/upload`, { method: 'POST', body: JSON.stringify({ appId, pem }) });
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.getByRole('heading', { name: 'Subscription Management' })).toBeVisible();

  // From the list: Renew certificate → Switch to a federated credential.
  await page.goto('/integrations/azure');
  await page.locator('tr[data-account="Contoso"]').getByRole('link', { name: 'Renew certificate' }).click();
  await expect(page.getByRole('heading', { name: 'Renew certificate: Contoso' })).toBeVisible();
  await ready(page);
  await page.getByRole('button', { name: 'Switch to a federated credential' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'New federated credential values made' })).toBeVisible();
  const panel = page.locator('.panel', { has: page.getByRole('heading', { name: 'Switch to a federated credential' }) });
  const values = {
    appId,
    issuer: await panel.getByLabel('Issuer', { exact: true }).inputValue(),
    subject: await panel.getByLabel('Subject identifier').inputValue(),
    audience: await panel.getByLabel('Audience').inputValue(),
  };
  await ready(page);
  await expectAccessible(page, 'Renew certificate, with federated credential values to switch to');
  await fetch(`${entra()}/_double/federated`, { method: 'POST', body: JSON.stringify(values) });
  await panel.getByRole('button', { name: 'Verify and switch' }).click();

  // Signed in through the credential: the certificate (and its key) are gone, nothing expires.
  await expect(page.getByRole('status').filter({ hasText: 'Xops now signs in through the federated credential' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'How Xops signs in: Contoso' })).toBeVisible();
  await expect(page.getByText('Current certificate')).toHaveCount(0);
  // The way back: a first certificate, not a renewal.
  await expect(page.getByRole('button', { name: 'Make a certificate' })).toBeVisible();
  await page.goto('/integrations/azure');
  await expect(page.locator('tr[data-account="Contoso"]')).toContainText('Signs in with a federated credential: nothing expires.');
  expect(consoleErrors).toEqual([]);
});
