// Walks the dealers' manual: MFA setup (steps 3-8), sign-in with the code
// (steps 1-4), "remember this device", OFF. The QR code is decoded from a
// screenshot and codes come from an independent TOTP implementation.
import { test, expect, hydrated, signIn, password, totpFor, codeAt, readQr, waitForNextStep } from './fixtures';
import type { Page } from '@playwright/test';

const ID = 'dealer04';

async function signInTo(page: Page, entry: string, id = ID) {
  await page.goto('/');
  await hydrated(page);
  await page.getByRole('link', { name: entry }).click();
  await signIn(page, id, password(id));
}


test('a dealer walks the manual: setup, sign-in with the code, replay, remember, OFF', async ({ page, browser }) => {
  test.setTimeout(150_000);

  await test.step('setup 1-3: 業務ログイン, sign in, the 多要素認証設定 tile', async () => {
    await signInTo(page, '業務ログイン');
    await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
    await page.getByRole('link', { name: '多要素認証設定', exact: true }).click();
    await expect(page.getByRole('heading', { name: '多要素認証設定' })).toBeVisible();
    await expect(page.getByText('現在の設定：OFF')).toBeVisible();
    await expect(page.getByText('どちらかだけで可')).toBeVisible();
  });

  await test.step('setup: 設定 without the box ticked is answered clearly', async () => {
    await page.getByRole('radio', { name: 'ON', exact: true }).check();
    await page.getByRole('button', { name: '設定', exact: true }).click();
    await expect(page.getByText('「上記を確認しました」にチェックを入れてください。')).toBeVisible();
  });

  await test.step('setup: ON without the password is refused, and nothing starts', async () => {
    await page.getByLabel('上記を確認しました').check();
    await page.getByRole('radio', { name: 'ON', exact: true }).check();
    await page.getByLabel('パスワード', { exact: true }).fill('not-my-password-1');
    await page.getByRole('button', { name: '設定', exact: true }).click();
    await expect(page.getByText('パスワードが正しくありません。')).toBeVisible();
    await expect(page.getByLabel('パスワード', { exact: true })).toHaveValue('');
    await expect(page).toHaveURL(/\/mfa$/);
  });

  await test.step('setup 4-5: tick 上記を確認しました, ON, the password, 設定', async () => {
    await page.getByLabel('上記を確認しました').check();
    await page.getByRole('radio', { name: 'ON', exact: true }).check();
    await page.getByLabel('パスワード', { exact: true }).fill(password(ID));
    await page.getByRole('button', { name: '設定', exact: true }).click();
    await expect(page).toHaveURL(/\/mfa\/setup$/);
    await hydrated(page);
  });

  let key = '';
  await test.step('setup 6-7: the QR code carries the same key as the text', async () => {
    key = (await page.locator('.secret-key').innerText()).replace(/\s/g, '');
    expect(key).toMatch(/^[A-Z2-7]{32}$/);
    const qr = await readQr(page);
    expect(qr.startsWith(`otpauth://totp/autoBank:${ID}?`), qr).toBe(true);
    const url = new URL(qr);
    expect(url.searchParams.get('secret')).toBe(key);
    expect(url.searchParams.get('issuer')).toBe('autoBank');
    expect(url.searchParams.get('algorithm')).toBe('SHA1');
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');
  });
  const totp = totpFor(key);

  await test.step('setup 8: a wrong code stays on the screen; the right one turns MFA on', async () => {
    await page.getByLabel('ワンタイムパスワードの入力').fill('000000');
    await page.getByRole('button', { name: '>', exact: true }).click();
    await expect(page.getByText('ワンタイムコードが正しくありません。', { exact: false })).toBeVisible();
    await page.getByLabel('ワンタイムパスワードの入力').fill(codeAt(totp, -1));
    await page.getByRole('button', { name: '>', exact: true }).click();
    await expect(page.getByText('※次回ログイン時より、ワンタイムコードの入力が必要となります')).toBeVisible();
    await expect(page.getByText(/現在の設定：ON/)).toBeVisible();
  });

  let used = '';
  await test.step('login 1-4: log out, sign in again and pass the code page', async () => {
    await page.getByRole('button', { name: 'ログアウト' }).click();
    await expect(page).toHaveURL(/\/$/);
    await signInTo(page, '業務ログイン');
    await expect(page.getByRole('heading', { name: 'アカウントの安全性向上' })).toBeVisible();
    await expect(page.getByText('スマートフォンに使用するワンタイムパスワードアプリのインストールを確認してください。')).toBeVisible();
    const codeField = page.getByLabel('ワンタイムコードの入力');
    await expect(codeField).toHaveAttribute('autocomplete', 'one-time-code');
    await expect(codeField).toHaveAttribute('inputmode', 'numeric');
    await hydrated(page);
    used = codeAt(totp, 0);
    await codeField.fill(used);
    await page.getByRole('button', { name: '>', exact: true }).click();
    await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
    await page.getByRole('button', { name: 'ログアウト' }).click();
    await expect(page).toHaveURL(/\/$/);
  });

  await test.step('login: the same code again is refused', async () => {
    await signInTo(page, '業務ログイン');
    await hydrated(page);
    await page.getByLabel('ワンタイムコードの入力').fill(used);
    await page.getByRole('button', { name: '>', exact: true }).click();
    await expect(page.getByText('ワンタイムコードが正しくありません。', { exact: false })).toBeVisible();
  });

  await test.step('login: a fresh code with このデバイスを30日間記録する ticked', async () => {
    await page.getByLabel('ワンタイムコードの入力').fill(codeAt(totp, 1));
    await page.getByLabel('このデバイスを30日間記録する').check();
    await page.getByRole('button', { name: '>', exact: true }).click();
    await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
    await page.getByRole('button', { name: 'ログアウト' }).click();
    await expect(page).toHaveURL(/\/$/);
  });

  await test.step('remember: this browser is remembered, password only', async () => {
    await signInTo(page, '業務ログイン');
    await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
  });

  await test.step('remember: a new browser context is not, it asks for the code', async () => {
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await signInTo(otherPage, '業務ログイン');
    await expect(otherPage.getByRole('heading', { name: 'アカウントの安全性向上' })).toBeVisible();
    await other.close();
  });

  await test.step('remember: the settings list the remembered browser', async () => {
    await page.getByRole('link', { name: '多要素認証設定', exact: true }).click();
    await expect(page.getByRole('heading', { name: '記録されたデバイス' })).toBeVisible();
    await expect(page.locator('.devices tbody tr')).toHaveCount(1);
  });

  await test.step('OFF needs the current code: without it, refused; with it, OFF', async () => {
    await hydrated(page);
    await page.getByLabel('上記を確認しました').check();
    await page.getByRole('radio', { name: 'OFF', exact: true }).check();
    await page.getByRole('button', { name: '設定', exact: true }).click();
    await expect(page.getByText('ワンタイムコードは6桁の数字で入力してください。')).toBeVisible();
    await waitForNextStep();
    await page.getByLabel('上記を確認しました').check();
    await page.getByRole('radio', { name: 'OFF', exact: true }).check();
    await page.getByLabel('現在のワンタイムコード').fill(codeAt(totp, 1));
    await page.getByRole('button', { name: '設定', exact: true }).click();
    await expect(page.getByText('多要素認証をOFFにしました。', { exact: false })).toBeVisible();
    await expect(page.getByText('現在の設定：OFF')).toBeVisible();
  });

  await test.step('OFF: password only again, in any browser', async () => {
    const fresh = await browser.newContext();
    const freshPage = await fresh.newPage();
    await signInTo(freshPage, '業務ログイン');
    await expect(freshPage.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
    await fresh.close();
  });
});

test('an abandoned setup leaves MFA off', async ({ page }) => {
  await test.step('setup via 多要素認証設定はこちら: tick 上記を確認しました, ON, 設定', async () => {
    await signInTo(page, '多要素認証設定はこちら', 'dealer05');
    await expect(page).toHaveURL(/\/mfa$/);
    await hydrated(page);
    await page.getByLabel('上記を確認しました').check();
    await page.getByRole('radio', { name: 'ON', exact: true }).check();
    await page.getByLabel('パスワード', { exact: true }).fill(password('dealer05'));
    await page.getByRole('button', { name: '設定', exact: true }).click();
    await expect(page).toHaveURL(/\/mfa\/setup$/);
  });

  await test.step('setup: 設定をやめる leaves it OFF', async () => {
    await page.getByRole('link', { name: '設定をやめる', exact: false }).click();
    await expect(page.getByText('現在の設定：OFF')).toBeVisible();
  });

  await test.step('login: log out; the password alone reaches the menu', async () => {
    await page.getByRole('button', { name: 'ログアウト' }).click();
    await expect(page).toHaveURL(/\/$/);
    await signInTo(page, '業務ログイン', 'dealer05');
    await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
  });
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('setup and the code step work as plain forms', async ({ page }) => {
    const id = 'dealer06';
    let key = '';
    await test.step('setup: sign in, tick 上記を確認しました, ON, 設定, read the key', async () => {
      await page.goto('/login?next=/mfa');
      await signIn(page, id, password(id));
      await expect(page).toHaveURL(/\/mfa$/);
      await page.getByLabel('上記を確認しました').check();
      await page.getByRole('radio', { name: 'ON', exact: true }).check();
      await page.getByLabel('パスワード', { exact: true }).fill(password(id));
      await page.getByRole('button', { name: '設定', exact: true }).click();
      await expect(page).toHaveURL(/\/mfa\/setup$/);
      key = (await page.locator('.secret-key').innerText()).replace(/\s/g, '');
    });
    const totp = totpFor(key);

    await test.step('setup 8: the code turns MFA on', async () => {
      await page.getByLabel('ワンタイムパスワードの入力').fill(codeAt(totp, -1));
      await page.getByRole('button', { name: '>', exact: true }).click();
      await expect(page.getByText('※次回ログイン時より、ワンタイムコードの入力が必要となります')).toBeVisible();
    });

    await test.step('login 1-4: log out, sign in; a wrong code is refused, the right one reaches the menu', async () => {
      await page.getByRole('button', { name: 'ログアウト' }).click();
      await page.goto('/login?next=/menu');
      await signIn(page, id, password(id));
      await expect(page.getByRole('heading', { name: 'アカウントの安全性向上' })).toBeVisible();
      await page.getByLabel('ワンタイムコードの入力').fill('000000');
      await page.getByRole('button', { name: '>', exact: true }).click();
      await expect(page.getByText('ワンタイムコードが正しくありません。', { exact: false })).toBeVisible();
      await page.getByLabel('ワンタイムコードの入力').fill(codeAt(totp, 0));
      await page.getByRole('button', { name: '>', exact: true }).click();
      await expect(page).toHaveURL(/\/menu$/);
      await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
    });
  });
});

test('the settings list signed-in browsers, and another one can be signed out from here', async ({ page, browser }) => {
  const id = 'dealer07';
  const other = await browser.newContext();
  const otherPage = await other.newPage();

  await test.step('sign in on two browsers', async () => {
    await otherPage.goto('/login?next=/menu');
    await signIn(otherPage, id, password(id));
    await expect(otherPage.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
    await page.goto('/login?next=/mfa');
    await signIn(page, id, password(id));
    await expect(page.getByRole('heading', { name: '多要素認証設定' })).toBeVisible();
    await hydrated(page);
  });

  await test.step('ログイン中のブラウザ lists both, this one marked', async () => {
    await expect(page.getByRole('heading', { name: 'ログイン中のブラウザ' })).toBeVisible();
    await expect(page.locator('.browsers tbody tr')).toHaveCount(2);
    await expect(page.locator('.browsers tbody tr').first()).toContainText('このブラウザ');
  });

  await test.step('ログアウトさせる signs the other browser out', async () => {
    await page.getByRole('button', { name: 'ログアウトさせる', exact: true }).click();
    await expect(page.locator('.browsers tbody tr')).toHaveCount(1);
    await expect(page.getByText('ほかにログイン中のブラウザはありません。')).toBeVisible();
    await otherPage.reload();
    await expect(otherPage).toHaveURL(/\/login/);
  });
  await other.close();
});
