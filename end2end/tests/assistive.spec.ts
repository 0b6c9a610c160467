// What screen readers, voice control and people sensitive to motion rely
// on: errors announced and tied to their fields, the QR code's text
// alternative, the key copied as one string, reduced motion, and a form
// sent after the session ended keeping what was typed.
import { test, expect, hydrated, signIn, password, setUpMfa, codeAt, readQr } from './fixtures';
import type { Page } from '@playwright/test';

const ERR_INVALID_CODE = 'ワンタイムコードが正しくありません。アプリに表示されている最新の6桁の数字を入力してください。';

async function startSetup(page: Page, id: string) {
  await page.goto('/login?next=/mfa');
  await signIn(page, id);
  await expect(page.getByRole('heading', { name: '多要素認証設定' })).toBeVisible();
  await hydrated(page);
  await page.getByLabel('上記を確認しました').check();
  await page.getByRole('radio', { name: 'ON', exact: true }).check();
  await page.getByLabel('パスワード', { exact: true }).fill(password(id));
  await page.getByRole('button', { name: '設定', exact: true }).click();
  await expect(page).toHaveURL(/\/mfa\/setup$/);
  await hydrated(page);
}

test('errors are announced and read with their fields', async ({ page }) => {
  await test.step('sign-in: each empty field', async () => {
    await page.goto('/login');
    await hydrated(page);
    await page.getByRole('button', { name: 'ログインして下さい' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'ログインIDを入力してください。' })).toBeVisible();
    await expect(page.getByLabel('ログインID')).toHaveAccessibleDescription('ログインIDを入力してください。');
    await expect(page.getByLabel('パスワード')).toHaveAccessibleDescription('パスワードを入力してください。');
  });

  await test.step('the code step: a refused code is read with the code field', async () => {
    const id = 'dealer21';
    await page.goto('/login?next=/mfa');
    await signIn(page, id);
    await hydrated(page);
    const totp = await setUpMfa(page, id);
    await page.getByRole('button', { name: 'ログアウト' }).click();
    await page.goto('/login?next=/menu');
    await signIn(page, id);
    await expect(page.getByRole('heading', { name: 'アカウントの安全性向上' })).toBeVisible();
    await hydrated(page);
    await page.getByLabel('ワンタイムコードの入力').fill(codeAt(totp, 10));
    await page.getByRole('button', { name: '>', exact: true }).click();
    await expect(page.getByRole('alert').filter({ hasText: ERR_INVALID_CODE })).toBeVisible();
    await expect(page.getByLabel('ワンタイムコードの入力')).toHaveAccessibleDescription(ERR_INVALID_CODE);
    await expect(page.getByLabel('ワンタイムコードの入力'), 'a refused code is not left in the field').toHaveValue('');
  });
});

test('the QR code points to the key as text, and the key copies as one string', async ({ page }) => {
  const id = 'dealer22';
  await startSetup(page, id);
  const qr = page.getByRole('img', { name: /QRコードをスキャン/ });
  await expect(qr).toBeVisible();
  const alt = (await qr.getAttribute('aria-label')) ?? '';
  expect(alt, 'the QR code says where the same key is as text').toContain('「キー」');
  await expect(page.getByText('キー', { exact: true })).toBeVisible();

  const secret = new URL(await readQr(page)).searchParams.get('secret');
  // One click selects the whole key; what is selected is what is copied.
  await page.locator('#setup-key').click();
  const selected = await page.evaluate(() => window.getSelection()?.toString() ?? '');
  expect(selected, 'the key copies without spaces').toMatch(/^[A-Z2-7]{32}$/);
  expect(selected).toBe(secret);
  // It is still shown in groups of four for reading.
  const groups = await page.locator('#setup-key span').allInnerTexts();
  expect(groups.length).toBe(8);
  expect(groups.join('')).toBe(secret);
});

test('with reduced motion asked for, nothing on the page moves', async ({ page }) => {
  const durations = () =>
    page.evaluate(() =>
      Array.from(document.querySelectorAll('*')).flatMap((el) => {
        const s = getComputedStyle(el);
        return [...s.transitionDuration.split(','), ...s.animationDuration.split(',')].map((d) => parseFloat(d));
      }),
    );
  await page.emulateMedia({ reducedMotion: 'no-preference' });
  await page.goto('/');
  await hydrated(page);
  expect(Math.max(...(await durations())), 'some colours ease in by default').toBeGreaterThan(0);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  expect(Math.max(...(await durations())), 'no transition or animation with reduced motion').toBe(0);
});

test('a form sent after the session ended keeps what was typed, except the code, and explains', async ({ page, context }) => {
  test.setTimeout(60_000);
  const id = 'admin04';
  const title = '期限切れ後も残るお知らせ';
  const body = '長い本文を書いている間にセッションが切れました。';
  let totp: Awaited<ReturnType<typeof setUpMfa>>;

  await test.step('an admin starts writing a notice', async () => {
    await page.goto('/login?next=/menu');
    await signIn(page, id);
    await expect(page).toHaveURL(/\/mfa$/);
    await hydrated(page);
    totp = await setUpMfa(page, id);
    await page.goto('/admin/notices');
    await hydrated(page);
    const form = page.locator('form.notice-form').first();
    await form.getByLabel('日付').fill('2026-11-30');
    await form.getByLabel('タイトル').fill(title);
    await form.getByLabel('本文').fill(body);
    await form.getByLabel('あなたのワンタイムコード').fill('123456');
  });

  await test.step('the session ends; 掲載する explains, and keeps the title and the body', async () => {
    await context.clearCookies();
    await page.getByRole('button', { name: '掲載する' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'ログインの有効期限が切れました。' });
    await expect(alert).toBeVisible();
    await expect(alert).toContainText('入力した内容は、パスワードとワンタイムパスワードを除いて、この画面に残っています。');
    const form = page.locator('form.notice-form').first();
    await expect(form.getByLabel('日付')).toHaveValue('2026-11-30');
    await expect(form.getByLabel('タイトル')).toHaveValue(title);
    await expect(form.getByLabel('本文')).toHaveValue(body);
    await expect(form.getByLabel('あなたのワンタイムコード'), 'the code is not kept').toHaveValue('');
  });

  await test.step('signing in again in another tab, then 掲載する here posts it', async () => {
    const [tab] = await Promise.all([context.waitForEvent('page'), page.getByRole('link', { name: '別のタブでログインする' }).click()]);
    await tab.waitForLoadState();
    await signIn(tab, id);
    await expect(tab.getByRole('heading', { name: 'アカウントの安全性向上' })).toBeVisible();
    await tab.getByLabel('ワンタイムコードの入力').fill(codeAt(totp, 0));
    await tab.getByRole('button', { name: '>', exact: true }).click();
    await expect(tab).toHaveURL(/\/admin\/notices$/);
    await tab.close();

    await page.getByRole('button', { name: '掲載する' }).click();
    await expect(page.getByText('お知らせを更新しました。')).toBeVisible();
    await expect(page.getByRole('heading', { name: new RegExp(title) })).toBeVisible();
  });

  await test.step('the notice is deleted again (the portal test counts them)', async () => {
    await page.locator('form.notice-form').filter({ has: page.locator(`input[value="${title}"]`) }).getByRole('button', { name: '削除する' }).click();
    await expect(page.getByRole('heading', { name: new RegExp(title) })).toHaveCount(0);
  });
});
