// Every screen a dealer or a member of staff can reach, error states
// included, checked by axe-core (no serious or critical finding) and for
// reflow (nothing cut off, no sideways scrolling) on a PC and on a phone.
//
// axe-core runs at each device's own width; reflow is checked there and
// zoomed in. A PC at 1280 CSS px, and the same PC zoomed to 200% (640 CSS
// px: zooming in narrows the layout viewport by the zoom factor). A phone
// at 390 px with a touch screen, and 320 px (WCAG 1.4.10's width; also
// 1280 at 400%).
import { test, expect, hydrated, signIn, password, setUpMfa, codeAt } from './fixtures';
import { screenChecker } from './a11y';
import type { Page } from '@playwright/test';

// The screens the tour checks (the `check` lines below): fewer means it
// stopped short.
const SCREENS = 42;

/** Waits for the WASM to take over the page: the DOM axe sees is final. */
async function settled(page: Page) {
  await hydrated(page);
  await page.waitForLoadState('networkidle');
}

async function tour(page: Page, check: (screen: string) => Promise<void>, ids: { dealer: string; locked: string; staff: string; admin: string }) {
  const button = (name: string) => page.getByRole('button', { name, exact: true });
  const visit = async (path: string, screen: string) => {
    await page.goto(path);
    await settled(page);
    await check(screen);
  };

  // Public screens.
  await visit('/', 'portal');
  await visit('/forgot', 'forgot password');
  await visit('/no-such-page', 'not found');
  await visit('/login', 'sign-in');
  await button('ログインして下さい').click();
  await expect(page.getByText('ログインIDを入力してください。')).toBeVisible();
  await check('sign-in: empty fields');
  await signIn(page, ids.dealer, 'not-the-password-1');
  await expect(page.getByText('ログインIDまたはパスワードが正しくありません。')).toBeVisible();
  await check('sign-in: wrong password');
  for (let i = 0; i < 10; i++) {
    // One answer before the next try (the button waits while one is out).
    await Promise.all([page.waitForResponse((r) => r.url().includes('/api/login')), signIn(page, ids.locked, `wrong-password-${i}`)]);
  }
  await expect(page.getByText('アカウントを一時的にロックしています', { exact: false })).toBeVisible();
  await check('sign-in: locked');

  // A dealer: the menu, pages not built, MFA settings and setup, the password.
  await page.goto('/login?next=/menu');
  await signIn(page, ids.dealer);
  await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
  await settled(page);
  await check('menu');
  // A staff page opened by a dealer: the one refusal page (plain HTML,
  // drawn by the guard before anything of the page).
  await page.goto('/admin/audit');
  await expect(page.getByText('この画面は管理者専用です。')).toBeVisible();
  await check('staff page refused');
  await visit('/menu/inventory', 'a page not built');
  await page.goto('/search');
  await settled(page);
  await check('vehicle search (not built)');
  await visit('/mfa', 'MFA settings: off');
  await button('設定').click();
  await expect(page.getByText('「上記を確認しました」にチェックを入れてください。')).toBeVisible();
  await check('MFA settings: nothing chosen');
  await page.getByLabel('上記を確認しました').check();
  await page.getByRole('radio', { name: 'ON', exact: true }).check();
  await page.getByLabel('パスワード', { exact: true }).fill('not-the-password-1');
  await button('設定').click();
  await expect(page.getByText('パスワードが正しくありません。')).toBeVisible();
  await check('MFA settings: wrong password');
  await page.getByLabel('上記を確認しました').check();
  await page.getByRole('radio', { name: 'ON', exact: true }).check();
  await page.getByLabel('パスワード', { exact: true }).fill(password(ids.dealer));
  await button('設定').click();
  await expect(page).toHaveURL(/\/mfa\/setup$/);
  await settled(page);
  await check('MFA setup');
  await page.getByLabel('ワンタイムパスワードの入力').fill('12345');
  await button('>').click();
  await expect(page.getByText('ワンタイムコードは6桁の数字で入力してください。')).toBeVisible();
  await check('MFA setup: a code of five digits');
  await page.goto('/mfa');
  await settled(page);
  const totp = await setUpMfa(page, ids.dealer);
  await check('MFA settings: on, with recovery codes');
  await visit('/password', 'password change');
  await button('変更する').click();
  await expect(page.getByRole('alert').filter({ hasText: /./ }).first()).toBeVisible();
  await check('password change: empty');

  // The code step and the recovery code, with their errors.
  await button('ログアウト').click();
  await page.goto('/login?next=/menu');
  await signIn(page, ids.dealer);
  await expect(page.getByRole('heading', { name: 'アカウントの安全性向上' })).toBeVisible();
  await settled(page);
  await check('code step');
  await page.getByLabel('ワンタイムコードの入力').fill(codeAt(totp, 10));
  await button('>').click();
  await expect(page.getByText('ワンタイムコードが正しくありません。', { exact: false })).toBeVisible();
  await check('code step: wrong code');
  await page.getByRole('link', { name: 'スマートフォンが手元にない場合は、リカバリーコードでログイン' }).click();
  await expect(page.getByRole('heading', { name: 'リカバリーコード' })).toBeVisible();
  await settled(page);
  await check('recovery code');
  await page.getByLabel('リカバリーコード', { exact: true }).fill('aaaaa-bbbbb');
  await button('ログイン').click();
  await expect(page.getByText('リカバリーコードが正しくないか、すでに使われています。')).toBeVisible();
  await check('recovery code: wrong');
  await page.goto('/login/code?next=/mfa');
  await page.getByLabel('ワンタイムコードの入力').fill(codeAt(totp, 0));
  await button('>').click();
  await expect(page.getByRole('heading', { name: '多要素認証設定' })).toBeVisible();
  await settled(page);
  await check('MFA settings: on, devices and browsers');
  await button('ログアウト').click();

  // Staff: MFA first, the console, an account, an action refused.
  await page.goto('/login?next=/menu');
  await signIn(page, ids.staff);
  await expect(page).toHaveURL(/\/mfa$/);
  await settled(page);
  await check('MFA settings: staff must set up');
  await setUpMfa(page, ids.staff);
  await visit('/helpdesk', 'console');
  await page.getByLabel('ログインIDまたは名前（前方一致）').fill(ids.dealer);
  await button('検索').click();
  await expect(page.getByRole('link', { name: ids.dealer, exact: true })).toBeVisible();
  await check('console: results');
  await page.getByRole('link', { name: ids.dealer, exact: true }).click();
  await expect(page.getByRole('heading', { name: new RegExp(ids.dealer) })).toBeVisible();
  await settled(page);
  await check('account');
  await button('多要素認証をリセットする（OFFにする）').click();
  await expect(page.getByText('理由（問い合わせ番号など）を入力してください。')).toBeVisible();
  await check('account: no reason');
  await page.getByLabel('理由（問い合わせ番号など）').fill('A11Y-0002');
  await button('アカウントを停止する').click();
  await expect(page.getByText('この操作を行う場合は、確認のチェックを入れてください。')).toBeVisible();
  await check('account: a stop not confirmed');
  await button('ログアウト').click();

  // An admin: the console's extra form, a temporary password, the audit
  // trail, the policy and the notices, with their errors.
  await page.goto('/login?next=/menu');
  await signIn(page, ids.admin);
  await expect(page).toHaveURL(/\/mfa$/);
  await setUpMfa(page, ids.admin);
  await visit('/helpdesk', 'console: admin');
  await button('作成する（仮パスワードを発行）').click();
  await expect(page.getByRole('alert').filter({ hasText: /./ }).first()).toBeVisible();
  await check('console: new account, empty');
  await visit(`/helpdesk/users/${ids.locked}`, 'account: locked, admin');
  await page.getByLabel('理由（問い合わせ番号など）').first().fill('A11Y-0001');
  await button('仮パスワードを発行する').click();
  await expect(page.locator('code.secret-key')).toBeVisible();
  await check('account: temporary password shown');
  await visit('/admin/audit', 'audit trail');
  await visit('/admin/audit?from=2026-13-45', 'audit trail: bad date');
  await visit('/admin/policy', 'policy');
  await visit('/admin/notices', 'notices');
  await button('掲載する').click();
  await expect(page.getByText('日付はYYYY-MM-DDの形で入力してください。').first()).toBeVisible();
  await check('notices: no date');
  await visit('/admin/clients', 'clients');
  await button('登録する').click();
  await expect(page.getByText('連携アプリの名前を1〜100文字で入力してください。')).toBeVisible();
  await check('clients: no name');
  await page.getByLabel('名前', { exact: true }).fill(`A11Y ${ids.admin}`);
  await page.getByLabel('リダイレクトURI（1行に1つ）').fill(`https://a11y.example.jp/${ids.admin}/cb`);
  await page.getByLabel('バックチャネルログアウトURI（任意）').fill(`https://a11y.example.jp/${ids.admin}/a-rather-long-path/backchannel-logout`);
  await button('登録する').click();
  await expect(page.getByLabel('クライアントシークレット')).toBeVisible();
  await check('clients: secret shown');
}

test('every screen passes axe-core and reflows, on a PC and zoomed to 200%', async ({ page }) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  const { check, done } = screenChecker(page, [1280, 640]);
  await tour(page, check, { dealer: 'dealer15', locked: 'dealer16', staff: 'hd05', admin: 'admin02' });
  done(SCREENS);
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 });

  test('every screen passes axe-core and reflows, at 390 and 320 CSS pixels', async ({ page }) => {
    test.setTimeout(240_000);
    const { check, done } = screenChecker(page, [390, 320]);
    await tour(page, check, { dealer: 'dealer17', locked: 'dealer18', staff: 'hd06', admin: 'admin03' });
    done(SCREENS);
  });
});
