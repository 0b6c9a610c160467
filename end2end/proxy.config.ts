import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// `make test-proxy` only: the walks of proxy/*.spec.ts through nginx with
// TLS in front of two instances on PostgreSQL, all started by
// proxy/run.sh, which sets PROXY_ORIGIN and the rest. No webServer here.
const origin = process.env.PROXY_ORIGIN;
if (!origin) {
  throw new Error('proxy.config.ts is run by end2end/proxy/run.sh (make test-proxy), which starts nginx and the instances.');
}

export default defineConfig({
  testDir: './proxy',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: origin,
    // The certificate is self-signed, made by run.sh for `localhost`.
    ignoreHTTPSErrors: true,
    launchOptions: base.use?.launchOptions,
    locale: 'ja-JP',
    trace: 'off',
  },
});
