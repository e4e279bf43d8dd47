import { expect, test } from '@playwright/test';
import { createMotoMemberAccount, expectAccessible, linkPayer, jsEnabled, ready, signIn, signUp, uniqueEmail, watchConsole } from './helpers';

test('link, rename and delete AWS accounts; management accounts go through support', async ({ page }, testInfo) => {
  const consoleErrors = watchConsole(page);
  await signUp(page, `AWS ${testInfo.project.name}`, uniqueEmail(testInfo, 'aws'), 'correct horse battery');
  await expect(page).toHaveURL(/\/select-platform$/);
  await ready(page);

  // AWS card → the Select AWS Account Type window over the selection page: Linked Account
  // waits for a management account.
  await page.locator('.card-grid').getByRole('link', { name: 'AWS (Amazon Web Services)' }).click();
  const typeDialog = page.getByRole('dialog', { name: 'Select AWS Account Type' });
  await expect(typeDialog).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Select Your Preferred Cloud Service or Platform' })).toBeAttached();
  await expect(typeDialog.locator('.platform-card.disabled')).toContainText('Link a management account first');
  await typeDialog.getByRole('link', { name: /Management Account/ }).click();
  await expect(page.getByRole('heading', { name: 'Link a New AWS Account' })).toBeVisible();
  await ready(page);

  // The information button opens the setup guidance with the External ID and the template.
  await page.getByRole('button', { name: 'Information' }).click();
  await expect(page.getByRole('link', { name: 'Launch Stack' })).toHaveAttribute('href', /param_ExternalId=xops-/);
  await expect(page.getByRole('link', { name: 'download the CloudFormation template' })).toBeVisible();
  await expect(page.locator('#external_id')).toHaveValue(/^xops-[0-9a-f]{40}$/);
  await expectAccessible(page, 'Link a New AWS Account');

  // A malformed ARN is refused at the field, and the server never saw it.
  await page.getByLabel('AWS Account Name').fill('Payer');
  await page.getByLabel('AWS Role ARN').fill('arn:aws:iam::123:role/X');
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.locator('#role_arn-error')).toContainText('12-digit AWS account ID');

  await linkPayer(page);
  const payer = page.locator('tr[data-account="Payer"]');
  await expect(payer).toContainText('123456789012');
  // Its Delete leads to the guide's note (below), not to a deletion.
  await expect(payer.getByRole('link', { name: 'Delete' })).toHaveAttribute('href', /\/integrations\/aws\?dialog=delete&account=\d+$/);
  await expect(page.locator('.account-selector .dropdown-value')).toHaveText('Payer');

  // Now a linked account: a real member of the management account's organization in moto.
  const member = createMotoMemberAccount();
  // The guide's way, begun on Integrations: Select account → Add Cloud Account → the AWS card →
  // Linked Account → Connect, and back on Integrations with the success message (issue 24: it
  // ended on the selection page, with its first-run line and no message).
  await page.goto('/integrations');
  await ready(page);
  await page.locator('.account-selector summary').click();
  await page.getByRole('link', { name: 'Add Cloud Account' }).click();
  await expect(page.getByRole('heading', { name: 'Select Your Preferred Cloud Service or Platform' })).toBeVisible();
  await expect(page.getByText('Choose the platform of the first account to connect')).toHaveCount(0);
  await ready(page);
  await page.locator('.card-grid').getByRole('link', { name: 'AWS (Amazon Web Services)' }).click();
  await page.getByRole('dialog', { name: 'Select AWS Account Type' }).getByRole('link', { name: /Linked Account/ }).click();
  await expect(page.getByRole('heading', { name: 'Link a New AWS Account' })).toBeVisible();
  await ready(page);
  await page.getByLabel('AWS Account Name').fill('Dev');
  await page.getByLabel('AWS Role ARN').fill(`arn:aws:iam::${member}:role/XopsReadOnlyAccess`);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page).toHaveURL(/\/integrations\?notice=linked-aws$/);
  await expect(page.getByText('Account connected. Xops verified the role with your External ID.')).toBeVisible();
  await expect(page.locator('tr[data-account="Dev"]').first()).toContainText(member);
  await page.goto('/integrations/aws');
  await ready(page);

  // Select account: the newest link is current; choosing another makes it current.
  const selector = page.locator('.account-selector');
  await expect(selector.locator('.dropdown-value')).toHaveText('Dev');
  await selector.locator('summary').click();
  await selector.getByRole('button', { name: /Payer/ }).click();
  await expect(selector.locator('.dropdown-value')).toHaveText('Payer');

  // Re-test verifies a row's account again (the clicked row's, through the list's one form).
  await ready(page);
  await page.locator('tr[data-account="Payer"]').getByRole('button', { name: 'Re-test' }).click();
  await expect(page.getByText('Connection re-tested')).toBeVisible();

  // Edit opens a window over the page: focus in its field, Tab kept inside, Escape (or Close)
  // shuts it and gives focus back to Edit.
  const edit = page.locator('tr[data-account="Dev"]').getByRole('link', { name: 'Edit' });
  await edit.click();
  const dialog = page.getByRole('dialog', { name: 'Edit account name' });
  await expect(dialog).toBeVisible();
  await expect(page.locator('.shell')).toHaveAttribute('inert', '');
  await expect(dialog.getByLabel('AWS Account Name')).toBeFocused();
  // With its island, Tab wraps around inside; without JavaScript the page behind is inert.
  for (let i = 0; i < (jsEnabled() ? 6 : 2); i++) {
    await page.keyboard.press('Tab');
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  }
  if (jsEnabled()) {
    await ready(page);
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(edit).toBeFocused();
  } else {
    await dialog.getByRole('link', { name: 'Close' }).click();
    await expect(dialog).toHaveCount(0);
  }
  await expect(page).toHaveURL(/\/integrations\/aws$/);

  // Edit → new name → Proceed: back on this page with the guide's message.
  await edit.click();
  await ready(page);
  await dialog.getByLabel('AWS Account Name').fill('Development');
  await dialog.getByRole('button', { name: 'Proceed' }).click();
  await expect(page.getByText('Account name updated')).toBeVisible();
  await expect(page).toHaveURL(/\/integrations\/aws\?notice=renamed$/);
  await expect(dialog).toHaveCount(0);

  // Delete → the name must be typed exactly.
  await page.locator('tr[data-account="Development"]').getByRole('link', { name: 'Delete' }).click();
  await ready(page);
  await page.getByLabel(/Enter the account name/).fill('Dev');
  const deleteButton = page.getByRole('button', { name: 'Delete Account' });
  if (jsEnabled()) {
    await expect(deleteButton).toBeDisabled();
  } else {
    await deleteButton.click();
    await expect(page.locator('#confirm_name-error')).toContainText('exactly as shown');
  }
  await page.getByLabel(/Enter the account name/).fill('Development');
  await deleteButton.click();
  await expect(page.getByText('Account has been deleted.')).toBeVisible();
  await expect(page).toHaveURL(/\/integrations\/aws\?notice=deleted$/);
  await expect(page.locator('tr[data-account="Development"]')).toHaveCount(0);

  // The management account's Delete gives the guide's note and a prefilled support request.
  await page.locator('tr[data-account="Payer"]').getByRole('link', { name: 'Delete' }).click();
  await expect(page.getByText('There is currently no provision to delete AWS Management accounts from the Xops portal.')).toBeVisible();
  await ready(page);
  await expectAccessible(page, 'the management account\'s Delete');
  await page.getByRole('link', { name: 'Submit Support Request' }).click();
  await expect(page.getByLabel('Subject')).toHaveValue(/AWS Management account deletion: Payer \(123456789012\)/);
  await ready(page);
  await page.getByLabel('Description').fill('Please delete Payer. Reason: we moved to another organization.');
  await page.getByRole('button', { name: 'Submit Request' }).click();
  await expect(page.getByText('Your support request has been submitted.')).toBeVisible();
  await expect(page.locator('table')).toContainText('AWS Management account deletion: Payer');

  // Xops support (a platform operator) deletes it from the support inbox; the requester sees it closed.
  const operator = await page.context().browser()!.newContext({ javaScriptEnabled: jsEnabled(), baseURL: test.info().project.use.baseURL });
  const support = await operator.newPage();
  const supportErrors = watchConsole(support);
  await signUp(support, 'Xops', `operator-${test.info().project.name}@xops.example`, 'correct horse battery');
  await support.locator('.profile-menu > summary').click();
  await support.getByRole('link', { name: 'Support inbox' }).click();
  // The inbox holds every organization's requests: this run's is the one from its organization.
  const request = support
    .getByRole('article', { name: /AWS Management account deletion: Payer/ })
    .filter({ hasText: `AWS ${test.info().project.name} ·` });
  await expect(request).toContainText('AWS Management account 123456789012');
  await ready(support);
  await expectAccessible(support, 'the support inbox');
  await request.getByLabel('Enter the account name to confirm').fill('Payer');
  await request.getByRole('button', { name: 'Delete this management account' }).click();
  await expect(support.getByText('The account has been deleted and the request closed.')).toBeVisible();
  expect(supportErrors).toEqual([]);
  await operator.close();
  await page.goto('/support');
  await expect(page.locator('table tr', { hasText: 'AWS Management account deletion: Payer' })).toContainText('closed');
  await page.goto('/integrations/aws');
  await expect(page.locator('tr[data-account="Payer"]')).toHaveCount(0);

  expect(consoleErrors).toEqual([]);
});

test('every in-app navigation shows what the database holds now; the side panel marks sub-pages', async ({ page, browser }, testInfo) => {
  const consoleErrors = watchConsole(page);
  const password = 'correct horse battery';
  const email = uniqueEmail(testInfo, 'fresh');
  await signUp(page, `Fresh ${testInfo.project.name}`, email, password);
  await expect(page).toHaveURL(/\/select-platform$/);
  await page.goto('/integrations/eks');
  await ready(page);
  await page.getByLabel('AWS Account Name').fill('Clusters');
  await page.getByLabel('AWS Role ARN').fill('arn:aws:iam::123456789012:role/XopsEksReadOnlyAccess');
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page).toHaveURL(/\/integrations\/eks\?notice=linked-eks$/);
  await ready(page);
  // A sub-page is marked as part of Integrations in the side panel.
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Integrations' })).toHaveAttribute('aria-current', 'page');
  await expect(nav.getByRole('link', { name: 'Home' })).not.toHaveAttribute('aria-current', 'page');

  // Another session of the same person renames the account meanwhile.
  const other = await browser.newContext({ baseURL: test.info().project.use.baseURL, javaScriptEnabled: jsEnabled() });
  const second = await other.newPage();
  await second.goto('/signin');
  await signIn(second, email, password);
  await expect(second).toHaveURL(/\/$/);
  await second.goto('/integrations/eks');
  await ready(second);
  await second.locator('tr[data-account="Clusters"]').getByRole('link', { name: 'Edit' }).click();
  await ready(second);
  const rename = second.getByRole('dialog', { name: 'Edit account name' });
  await rename.getByLabel('EKS Account Name').fill('Renamed clusters');
  await rename.getByRole('button', { name: 'Proceed' }).click();
  await expect(second.getByText('Account name updated')).toBeVisible();
  await other.close();

  // In-app navigation through the side panel shows the new name everywhere (issue 24).
  await nav.getByRole('link', { name: 'Integrations' }).click();
  await expect(page.getByRole('heading', { name: 'Integrations', level: 1 })).toBeVisible();
  await expect(page.locator('.account-selector .dropdown-value')).toHaveText('Renamed clusters');
  await expect(page.locator('tr[data-account="Renamed clusters"]').first()).toBeVisible();
  await expect(page.locator('tr[data-account="Clusters"]')).toHaveCount(0);
  // The providers' marks read as logos, not specks.
  const mark = await page.locator('.integration-card-title .mark').first().boundingBox();
  expect(mark?.width ?? 0).toBeGreaterThanOrEqual(32);
  expect(consoleErrors).toEqual([]);
});
