import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// One free loopback port and one fresh database per run. The config is evaluated again in
// every worker; the environment carries the first choice to them.
const freePort = () =>
  execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
  ]).toString().trim();
if (!process.env.XOPS_E2E_PORT) {
  process.env.XOPS_E2E_PORT = freePort();
  process.env.XOPS_E2E_MOTO_PORT = freePort();
  process.env.XOPS_E2E_STS_PORT = freePort();
  process.env.XOPS_E2E_ENTRA_PORT = freePort();
  process.env.XOPS_E2E_DATA = mkdtempSync(join(tmpdir(), 'xops-e2e-'));
}
const port = process.env.XOPS_E2E_PORT;
// localhost, not 127.0.0.1: WebAuthn (passkeys) needs a domain name as its relying party, and
// browsers count http://localhost as a secure context.
const baseURL = `http://localhost:${port}`;
const motoURL = `http://127.0.0.1:${process.env.XOPS_E2E_MOTO_PORT}`;
// STS through the trust-policy guard (doubles/sts-guard.mjs): AssumeRole needs the External ID.
const stsURL = `http://127.0.0.1:${process.env.XOPS_E2E_STS_PORT}`;
const entraURL = `http://127.0.0.1:${process.env.XOPS_E2E_ENTRA_PORT}`;
const root = resolve(__dirname, '..');

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    // A laptop's width: every scanned page is checked for sideways scrolling at it.
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    launchOptions: {
      // Debian's chromium: Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  projects: [
    { name: 'js-on', use: { javaScriptEnabled: true } },
    { name: 'js-off', use: { javaScriptEnabled: false } },
  ],
  // Playwright starts moto (a real STS) and the built server, waits for both, and stops them
  // by process id at the end.
  webServer: [{
    command: `${root}/target/tools/moto/bin/moto_server -H 127.0.0.1 -p ${process.env.XOPS_E2E_MOTO_PORT}`,
    url: `${motoURL}/moto-api/`,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'ignore',
    timeout: 60_000,
  }, {
    command: `node ${__dirname}/doubles/sts-guard.mjs ${process.env.XOPS_E2E_STS_PORT} ${motoURL}`,
    url: `${stsURL}/_guard/healthz`,
    reuseExistingServer: false,
  }, {
    command: `node ${__dirname}/doubles/entra.mjs ${process.env.XOPS_E2E_ENTRA_PORT}`,
    url: `${entraURL}/healthz`,
    reuseExistingServer: false,
  }, {
    command: process.env.XOPS_E2E_SERVER ?? `${root}/target/debug/xops`,
    cwd: root,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      XOPS_ADDR: `127.0.0.1:${port}`,
      XOPS_PUBLIC_URL: baseURL,
      DATABASE_URL: `sqlite://${process.env.XOPS_E2E_DATA}/xops.db?mode=rwc`,
      RUST_LOG: 'warn',
      // Every test signs up its own organization, all from this one address.
      XOPS_SIGN_UPS_PER_HOUR: '1000',
      AWS_ENDPOINT_URL_STS: stsURL,
      AWS_ENDPOINT_URL_ORGANIZATIONS: motoURL,
      AWS_ACCESS_KEY_ID: 'AKIAPLATFORMTEST',
      AWS_SECRET_ACCESS_KEY: 'platform-secret',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AZURE_AUTHORITY_HOST: entraURL,
      XOPS_AZURE_ARM_URL: entraURL,
      XOPS_MS_GRAPH_URL: entraURL,
      XOPS_MASTER_KEY_FILE: `${process.env.XOPS_E2E_DATA}/master.key`,
      // No SMTP server: mail is written as .eml files, which the tests read (helpers.ts).
      XOPS_MAIL_DIR: `${process.env.XOPS_E2E_DATA}/mail`,
      XOPS_OPERATORS: 'operator-js-on@xops.example,operator-js-off@xops.example',
      // Every step-up asks for a second factor, however recently one was given.
      XOPS_STEP_UP_MINUTES: '0',
    },
  }],
});
