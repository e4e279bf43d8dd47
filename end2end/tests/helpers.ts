import AxeBuilder from '@axe-core/playwright';
import { expect, Page, test, TestInfo } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** An email no other test of this run uses. */
export function uniqueEmail(testInfo: TestInfo, tag = 'user'): string {
  return `${tag}-${testInfo.project.name}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** With JavaScript on, waits until the page's islands are live (`src/lib.rs` marks the body then). */
export async function ready(page: Page): Promise<void> {
  if (jsEnabled()) {
    await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  }
}

/** Whether this test's project runs with JavaScript on. */
export function jsEnabled(): boolean {
  return test.info().project.use.javaScriptEnabled !== false;
}

/**
 * Collects console errors and CSP violations (hydration problems show there). A 4xx answer
 * that the test provoked on purpose (a wrong password) is the page working, not an error.
 */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    const expectedClientError = /^Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text());
    if (msg.type() === 'error' && !expectedClientError) errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

/** The mail the server has written for `email` (the run's server has no SMTP server: XOPS_MAIL_DIR). */
export function mailsTo(email: string): Map<string, string> {
  const dir = join(process.env.XOPS_E2E_DATA!, 'mail');
  const mails = new Map<string, string>();
  if (!existsSync(dir)) return mails;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.eml'))) {
    // Quoted-printable soft line breaks joined again.
    const text = readFileSync(join(dir, name), 'utf8').replace(/=\r\n/g, '');
    if (new RegExp(`^To: ${email.toLowerCase()}\r?$`, 'mi').test(text)) mails.set(name, text);
  }
  return mails;
}

/** Waits for a mail to `email` that was not there in `before`, and returns its text. */
export async function newMail(email: string, before: Map<string, string>): Promise<string> {
  let found: string | undefined;
  await expect.poll(() => {
    found = [...mailsTo(email).entries()].find(([name]) => !before.has(name))?.[1];
    return found !== undefined;
  }, { message: `a new mail to ${email}` }).toBe(true);
  return found!;
}

/** The sign-up form alone: organization and email, then "Check your inbox". */
export async function requestSignUp(page: Page, org: string, email: string): Promise<void> {
  await page.goto('/signup');
  await ready(page);
  await page.getByLabel('Organization name').fill(org);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Check your inbox' })).toBeVisible();
}

/** Signs up as a person does: the form, the link in the mail, the password. */
export async function signUp(page: Page, org: string, email: string, password: string): Promise<void> {
  const before = mailsTo(email);
  await requestSignUp(page, org, email);
  const mail = await newMail(email, before);
  const link = mail.match(/https?:\/\/\S+\/signup\/confirm\/[A-Za-z0-9_-]+/)?.[0];
  expect(link, mail).toBeTruthy();
  await page.goto(link!);
  await ready(page);
  await expect(page.getByText(`as ${email.toLowerCase()}`)).toBeVisible();
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await ready(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

export async function openProfileMenu(page: Page): Promise<void> {
  await page.locator('.profile-menu > summary').click();
}

/**
 * Makes moto's platform account an AWS Organization's management account with a new member
 * account (through boto3, which comes with moto) and returns the member's account id.
 */
export function createMotoMemberAccount(): string {
  return motoOrganizations(["print(o.create_account(Email='member@example.com', AccountName='Member')['CreateAccountStatus']['AccountId'])"]);
}

/** Runs `lines` of Python with `o`, a boto3 Organizations client of moto's management account. */
function motoOrganizations(lines: string[], ...args: string[]): string {
  const python = `${__dirname}/../../target/tools/moto/bin/python`;
  const script = [
    'import boto3, json, sys',
    "o = boto3.client('organizations', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='AKIAPLATFORMTEST', aws_secret_access_key='x')",
    'try:\n    o.create_organization(FeatureSet="ALL")\nexcept Exception:\n    pass',
    ...lines,
  ].join('\n');
  return execFileSync(python, ['-c', script, `http://127.0.0.1:${process.env.XOPS_E2E_MOTO_PORT}`, ...args]).toString().trim();
}

/**
 * No serious or critical accessibility violation on the page as it is now (an open dialog
 * included). axe runs in the page, so without JavaScript the same address is scanned in a
 * copy of the session whose app scripts are blocked: the page as the server rendered it.
 */
export async function expectAccessible(page: Page, what: string) {
  if (!jsEnabled()) {
    const context = await page.context().browser()!.newContext({
      baseURL: test.info().project.use.baseURL,
      javaScriptEnabled: true,
      storageState: await page.context().storageState(),
    });
    const copy = await context.newPage();
    await copy.route(/\/pkg\/.*\.(js|wasm)$/, (route) => route.abort());
    await copy.goto(page.url());
    await scan(copy, what);
    await context.close();
    return;
  }
  await scan(page, what);
}

async function scan(page: Page, what: string) {
  // No sideways scrolling at a laptop's width (issue 24: Integrations was 1,494 px wide).
  const width = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  expect(width.scroll, `${what} scrolls sideways at ${width.inner} px`).toBeLessThanOrEqual(width.inner);
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious, what).toEqual([]);
}


/**
 * Two organizational units under the moto organization's root (made if missing), "Workloads
 * TAG" and "Sandbox TAG", with two member accounts each: their ids by account name.
 */
export function createMotoUnits(tag: string): Record<string, string> {
  const out = motoOrganizations([
    "root = o.list_roots()['Roots'][0]['Id']",
    'ids = {}',
    "for unit in ['Workloads', 'Sandbox']:",
    "    ou = o.create_organizational_unit(ParentId=root, Name=f'{unit} {sys.argv[2]}')['OrganizationalUnit']['Id']",
    '    for i in range(2):',
    "        name = f'{unit} {sys.argv[2]} {i}'",
    "        account = o.create_account(Email=f'{unit}-{i}-{sys.argv[2]}@example.com', AccountName=name)['CreateAccountStatus']['AccountId']",
    '        o.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)',
    '        ids[name] = account',
    'print(json.dumps(ids))',
  ], tag);
  return JSON.parse(out);
}

/** Links moto's management account as "Payer" from its link page, as the guide does. */
export async function linkPayer(page: Page): Promise<void> {
  await page.goto('/integrations/aws/link/management');
  await ready(page);
  await page.getByLabel('AWS Account Name').fill('Payer');
  await page.getByLabel('AWS Role ARN').fill('arn:aws:iam::123456789012:role/XopsReadOnlyAccess');
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page).toHaveURL(/\/integrations\/aws\?notice=linked/);
}

/**
 * Tells the STS guard to refuse ("deny") or accept again ("allow") a member's role, or to keep
 * its AssumeRole waiting ("hold") until every held one is let go ("release").
 */
export async function guardRole(what: 'deny' | 'allow' | 'hold' | 'release', role = ''): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${process.env.XOPS_E2E_STS_PORT}/_guard/${what}`, {
    method: 'POST',
    body: JSON.stringify({ role }),
  });
  expect(res.ok).toBe(true);
}
