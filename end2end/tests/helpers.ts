import { expect, Page, test, TestInfo } from '@playwright/test';
import { execFileSync } from 'node:child_process';

/** An email no other test of this run uses. */
export function uniqueEmail(testInfo: TestInfo, tag = 'user'): string {
  return `${tag}-${testInfo.project.name}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** With JavaScript on, waits until the page is hydrated, so clicks go through Leptos. */
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

export async function signUp(page: Page, org: string, email: string, password: string): Promise<void> {
  await page.goto('/signup');
  await ready(page);
  await page.getByLabel('Organization name').fill(org);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await ready(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function openProfileMenu(page: Page): Promise<void> {
  await page.locator('.profile-menu > summary').click();
}

/**
 * Makes moto's platform account an AWS Organization's management account with a new member
 * account (through boto3, which comes with moto) and returns the member's account id.
 */
export function createMotoMemberAccount(): string {
  const python = `${__dirname}/../../target/tools/moto/bin/python`;
  const script = [
    'import boto3, sys',
    "o = boto3.client('organizations', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='AKIAPLATFORMTEST', aws_secret_access_key='x')",
    'try:\n    o.create_organization(FeatureSet="ALL")\nexcept Exception:\n    pass',
    "print(o.create_account(Email='member@example.com', AccountName='Member')['CreateAccountStatus']['AccountId'])",
  ].join('\n');
  return execFileSync(python, ['-c', script, `http://127.0.0.1:${process.env.XOPS_E2E_MOTO_PORT}`]).toString().trim();
}
