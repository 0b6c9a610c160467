// Recovery codes in the browser: shown once with print and download when
// MFA is turned on, a code in place of the phone (with and without
// JavaScript), the count on the settings page, and a used code refused.
// Also the setup screen's button that opens the authenticator app on a phone.
import { test, expect, hydrated, signIn, password, setUpMfa } from './fixtures';
import type { Page } from '@playwright/test';
import { readFileSync } from 'node:fs';

const ID = 'dealer12';

async function toCodePage(page: Page, id = ID) {
  await page.goto('/login?next=/menu');
  await signIn(page, id);
  await expect(page.getByRole('heading', { name: 'アカウントの安全性向上' })).toBeVisible();
}

async function recoverWith(page: Page, code: string) {
  await page.getByRole('link', { name: 'スマートフォンが手元にない場合は、リカバリーコードでログイン' }).click();
  await expect(page.getByRole('heading', { name: 'リカバリーコード' })).toBeVisible();
  await page.getByLabel('リカバリーコード', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
}

test('recovery codes: shown once, downloaded, one signs in once in place of the phone', async ({ page, browser }) => {
  let codes: string[] = [];

  await test.step('turning MFA on shows ten codes with print and download', async () => {
    await page.goto('/login?next=/mfa');
    await signIn(page, ID);
    await expect(page.getByRole('heading', { name: '多要素認証設定' })).toBeVisible();
    await hydrated(page);
    await setUpMfa(page, ID);
    const list = page.locator('ol.recovery-codes li');
    await expect(list).toHaveCount(10);
    codes = await list.allInnerTexts();
    codes.forEach((c) => expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/));
    await expect(page.getByRole('button', { name: '印刷する' })).toBeVisible();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'ダウンロードする' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('autobank-recovery-codes.txt');
    const file = readFileSync(await download.path(), 'utf8');
    for (const code of codes) expect(file).toContain(code);
  });

  await test.step('they are not shown again; ten are left', async () => {
    await page.reload();
    await expect(page.locator('ol.recovery-codes')).toHaveCount(0);
    await expect(page.getByText('残りのリカバリーコード：10個')).toBeVisible();
    await page.getByRole('button', { name: 'ログアウト' }).click();
  });

  await test.step('the phone is not at hand: a recovery code signs in', async () => {
    await toCodePage(page);
    await hydrated(page);
    await recoverWith(page, codes[0].toUpperCase());
    await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
    await page.getByRole('link', { name: '多要素認証設定', exact: true }).click();
    await expect(page.getByText('残りのリカバリーコード：9個')).toBeVisible();
    await page.getByRole('button', { name: 'ログアウト' }).click();
  });

  await test.step('the same code never again', async () => {
    await toCodePage(page);
    await recoverWith(page, codes[0]);
    await expect(page.getByText('リカバリーコードが正しくないか、すでに使われています。')).toBeVisible();
  });

  await test.step('without JavaScript, another code signs in', async () => {
    const plain = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await toCodePage(plain);
    await recoverWith(plain, codes[1]);
    await expect(plain.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
  });
});

test('on a phone the setup screen opens the authenticator app; on a PC it shows no such button', async ({ browser }) => {
  const id = 'dealer13';
  const button = (p: Page) => p.getByRole('link', { name: 'このスマートフォンのAuthenticatorアプリで開く' });
  const phone = await (await browser.newContext({ isMobile: true, hasTouch: true, viewport: { width: 390, height: 844 } })).newPage();
  await phone.goto('/login?next=/mfa');
  await signIn(phone, id);
  await phone.getByLabel('上記を確認しました').check();
  await phone.getByRole('radio', { name: 'ON', exact: true }).check();
  await phone.getByLabel('パスワード', { exact: true }).fill(password(id));
  await phone.getByRole('button', { name: '設定', exact: true }).click();
  await expect(phone).toHaveURL(/\/mfa\/setup$/);
  await expect(button(phone)).toBeVisible();
  const href = await button(phone).getAttribute('href');
  expect(href).toMatch(/^otpauth:\/\/totp\/autoBank(%20System)?:dealer13\?secret=[A-Z2-7]+/);
  const key = (await phone.locator('.secret-key').innerText()).replace(/\s/g, '');
  expect(href).toContain(`secret=${key}`);

  const pc = await (await browser.newContext()).newPage();
  await pc.goto('/login?next=/mfa');
  await signIn(pc, id);
  await pc.getByLabel('上記を確認しました').check();
  await pc.getByRole('radio', { name: 'ON', exact: true }).check();
  await pc.getByLabel('パスワード', { exact: true }).fill(password(id));
  await pc.getByRole('button', { name: '設定', exact: true }).click();
  await expect(pc).toHaveURL(/\/mfa\/setup$/);
  await expect(button(pc)).toBeHidden();
});
