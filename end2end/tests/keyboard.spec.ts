// The manual walked with the keyboard alone: Tab to move, Space to tick,
// Enter to follow a link or press a button, typing into fields. Every stop
// must show its focus (tabTo checks each), and on each screen a full round
// of Tab reaches every control and leaves the page again (no trap).
// Radio buttons are chosen with the arrow keys, as in every browser.
import { test, expect, hydrated, password, setUpMfa, signIn, codeAt, totpFor } from './fixtures';
import { tabTo, tabThroughPage } from './a11y';
import type { Page } from '@playwright/test';

const link = (page: Page, name: string) => page.getByRole('link', { name, exact: true });
const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });

/** From the portal: 業務ログイン, the ID, the password, Enter. */
async function keyboardSignIn(page: Page, id: string) {
  await page.goto('/');
  await hydrated(page);
  await tabThroughPage(page);
  await tabTo(page, link(page, '業務ログイン'));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/login/);
  await hydrated(page);
  await tabThroughPage(page);
  await tabTo(page, page.getByLabel('ログインID'));
  await page.keyboard.type(id);
  await tabTo(page, page.getByLabel('パスワード'));
  await page.keyboard.type(password(id));
  await page.keyboard.press('Enter');
}

/** On 多要素認証設定 with MFA off: 上記を確認しました, ON, the password, 設定, then the code and `>`. */
async function keyboardSetUp(page: Page, id: string) {
  await tabTo(page, page.getByLabel('上記を確認しました'));
  await page.keyboard.press('Space');
  await expect(page.getByLabel('上記を確認しました')).toBeChecked();
  await tabTo(page, page.getByRole('radio', { name: 'ON', exact: true }));
  await page.keyboard.press('Space');
  await expect(page.getByRole('radio', { name: 'ON', exact: true })).toBeChecked();
  await tabTo(page, page.getByLabel('パスワード', { exact: true }));
  await page.keyboard.type(password(id));
  await tabTo(page, button(page, '設定'));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/mfa\/setup$/);
  await expect(page.getByLabel('ワンタイムパスワードの入力')).toBeVisible();
  await tabThroughPage(page);
  const totp = totpFor(await page.locator('.secret-key').innerText());
  await tabTo(page, page.getByLabel('ワンタイムパスワードの入力'));
  await page.keyboard.type(codeAt(totp, -1));
  await tabTo(page, button(page, '>'));
  await page.keyboard.press('Enter');
  await expect(page.getByText('※次回ログイン時より、ワンタイムコードの入力が必要となります')).toBeVisible();
  return totp;
}

test('keyboard alone: sign in, the menu, MFA setup, sign in with the code, OFF', async ({ page }) => {
  test.setTimeout(90_000);
  const id = 'dealer19';
  let totp: ReturnType<typeof totpFor>;

  await test.step('portal, sign-in form, menu, the 多要素認証設定 tile', async () => {
    await keyboardSignIn(page, id);
    await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
    await hydrated(page);
    await tabThroughPage(page);
    await tabTo(page, link(page, '多要素認証設定'));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: '多要素認証設定' })).toBeVisible();
    await hydrated(page);
    await tabThroughPage(page);
  });

  await test.step('setup with the code, then ログアウト', async () => {
    totp = await keyboardSetUp(page, id);
    await tabTo(page, button(page, 'ログアウト'));
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/$/);
  });

  await test.step('sign in again: the code step', async () => {
    await keyboardSignIn(page, id);
    await expect(page.getByRole('heading', { name: 'アカウントの安全性向上' })).toBeVisible();
    await hydrated(page);
    await tabThroughPage(page);
    await tabTo(page, page.getByLabel('ワンタイムコードの入力'));
    await page.keyboard.type(codeAt(totp, 0));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
  });

  await test.step('OFF with the current code', async () => {
    await hydrated(page);
    await tabTo(page, link(page, '多要素認証設定'));
    await page.keyboard.press('Enter');
    await expect(page.getByText(/^現在の設定：ON/)).toBeVisible();
    await hydrated(page);
    await tabThroughPage(page);
    await tabTo(page, page.getByLabel('上記を確認しました'));
    await page.keyboard.press('Space');
    await tabTo(page, page.getByRole('radio', { name: 'ON', exact: true }));
    await page.keyboard.press('ArrowDown');
    await expect(page.getByRole('radio', { name: 'OFF', exact: true })).toBeChecked();
    await tabTo(page, page.getByLabel('現在のワンタイムコード'));
    await page.keyboard.type(codeAt(totp, 1));
    await tabTo(page, button(page, '設定'));
    await page.keyboard.press('Enter');
    await expect(page.getByText('現在の設定：OFF')).toBeVisible();
  });
});

test('keyboard alone: a new member of staff sets up MFA and resets a dealer\'s MFA', async ({ page, browser }) => {
  test.setTimeout(90_000);
  const dealerId = 'dealer20';

  await test.step('the dealer has MFA on (set up with the mouse, elsewhere)', async () => {
    const dealer = await (await browser.newContext()).newPage();
    await dealer.goto('/login?next=/mfa');
    await signIn(dealer, dealerId);
    await expect(dealer.getByRole('heading', { name: '多要素認証設定' })).toBeVisible();
    await hydrated(dealer);
    await setUpMfa(dealer, dealerId);
    await dealer.context().close();
  });

  await test.step('staff: sign in, MFA first, the console tile', async () => {
    await keyboardSignIn(page, 'hd07');
    await expect(page).toHaveURL(/\/mfa$/);
    await expect(page.getByLabel('上記を確認しました')).toBeVisible();
    await tabThroughPage(page);
    await keyboardSetUp(page, 'hd07');
    await tabTo(page, link(page, 'autoBank SYSTEM'));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
    await hydrated(page);
    await tabTo(page, link(page, 'ヘルプデスク'));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: 'ヘルプデスク' })).toBeVisible();
    await hydrated(page);
    await tabThroughPage(page);
  });

  await test.step('search, the account, the reason, the reset', async () => {
    await tabTo(page, page.getByLabel('ログインIDまたは名前（前方一致）'));
    await page.keyboard.type(dealerId);
    await page.keyboard.press('Enter');
    await tabTo(page, link(page, dealerId));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: new RegExp(dealerId) })).toBeVisible();
    await hydrated(page);
    await tabThroughPage(page);
    await tabTo(page, page.getByLabel('理由（問い合わせ番号など）'));
    await page.keyboard.type('KEY-0001');
    // The reset stops the dealer's sign-in with the phone: the confirming
    // box first, ticked with the space bar.
    const confirm = page.getByLabel('お客様に説明し、この操作を行うことを確認しました');
    await tabTo(page, confirm);
    await page.keyboard.press('Space');
    await expect(confirm).toBeChecked();
    await tabTo(page, button(page, '多要素認証をリセットする（OFFにする）'));
    await page.keyboard.press('Enter');
    await expect(page.getByText('操作を完了しました。記録に残っています。')).toBeVisible();
    await expect(page.getByRole('row').filter({ hasText: '多要素認証リセット' }).first()).toContainText('KEY-0001');
  });
});
