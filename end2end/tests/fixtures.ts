// Shared test fixture: every page fails its test on any uncaught error
// (a dead WASM module shows up here), and helpers to sign in.
import { test as base, expect, type Page } from '@playwright/test';

export const test = base.extend({
  page: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // A Content-Security-Policy that blocks our own scripts or styles shows
    // up as a console error, not a page error.
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text());
    });
    await use(page);
    expect(errors, 'uncaught errors in the page').toEqual([]);
  },
});
export { expect };

// Never containing the login ID: the password policy refuses that.
export const password = (id: string) => `e2e-Pass-phrase-${id.slice(-2)}-kiwi`;

/** Waits until the WASM bundle has hydrated the page. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1);
}

/** Fills the sign-in form and presses `ログインして下さい`. */
export async function signIn(page: Page, id: string, pw = password(id)) {
  await page.getByLabel('ログインID').fill(id);
  await page.getByLabel('パスワード').fill(pw);
  await page.getByRole('button', { name: 'ログインして下さい' }).click();
}
