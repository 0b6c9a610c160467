// Shared test fixture: every page fails its test on any uncaught error
// (a dead WASM module shows up here), and helpers to sign in.
import { test as base, expect, type Page } from '@playwright/test';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import * as OTPAuth from 'otpauth';

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

/** An independent authenticator for a Base32 key (spaces allowed). */
export function totpFor(key: string) {
  return new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(key.replace(/\s/g, '')),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  });
}

/** The code `steps` periods from now (the server accepts -1, 0 and +1). */
export function codeAt(totp: OTPAuth.TOTP, steps: number) {
  return totp.generate({ timestamp: Date.now() + steps * 30_000 });
}

/** The setup screen's QR code, decoded from a screenshot. */
export async function readQr(page: Page): Promise<string> {
  const png = PNG.sync.read(await page.locator('.qr').screenshot());
  const found = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  expect(found, 'the QR code decodes').not.toBeNull();
  return found!.data;
}

/** Waits for the next 30-second step, so that a fresh code exists. */
export async function waitForNextStep() {
  const ms = 30_000 - (Date.now() % 30_000) + 500;
  await new Promise((r) => setTimeout(r, ms));
}

/**
 * On the settings page (多要素認証設定): 上記を確認しました, ON, the password,
 * 設定, then the key as text into an independent authenticator and its
 * code (one step back, leaving the current and next ones free) with `>`.
 * Works with or without JavaScript.
 */
export async function setUpMfa(page: Page, id: string) {
  await page.getByLabel('上記を確認しました').check();
  await page.getByRole('radio', { name: 'ON', exact: true }).check();
  await page.getByLabel('パスワード', { exact: true }).fill(password(id));
  await page.getByRole('button', { name: '設定', exact: true }).click();
  await expect(page).toHaveURL(/\/mfa\/setup$/);
  const totp = totpFor(await page.locator('.secret-key').innerText());
  const done = page.getByText('※次回ログイン時より、ワンタイムコードの入力が必要となります');
  const refused = page.getByText('ワンタイムコードが正しくありません。', { exact: false });
  const step = () => Math.floor(Date.now() / 30_000);
  const send = async () => {
    await page.getByLabel('ワンタイムパスワードの入力').fill(codeAt(totp, -1));
    await page.getByRole('button', { name: '>', exact: true }).click();
  };
  const filledIn = step();
  await send();
  await expect(done.or(refused).first()).toBeVisible();
  if (!(await done.isVisible())) {
    // Refused only because a 30-second step ended between filling the
    // code in and the server's check: it was two steps old by then. Once
    // more, with the code one step back from the new step.
    expect(step(), 'a code refused within its own step').not.toBe(filledIn);
    await send();
    await expect(done).toBeVisible();
  }
  return totp;
}
