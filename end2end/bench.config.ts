import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// `make bench` only: the slow-phone timings (bench/*.spec.ts), against the
// same release build and seeded server as the tests.
export default defineConfig({
  globalSetup: './global-setup.ts',
  ...base,
  testDir: './bench',
  timeout: 180_000,
});
