import { test, expect, hydrated, signIn, password } from './fixtures';

const TILES = [
  '端末設定',
  '検索設定',
  '在庫登録',
  '見積システム設定',
  '顧客管理システム',
  '車両品質評価書',
  'WEB商談申込み履歴',
  '多要素認証設定',
];

test('business sign-in reaches the menu with all eight tiles, and logout ends it', async ({ page }) => {
  await test.step('login: 業務ログイン, sign in', async () => {
    await page.goto('/');
    await hydrated(page);
    await page.getByRole('link', { name: '業務ログイン' }).click();
    await expect(page).toHaveURL(/\/login\?next=\/menu$/);
    await signIn(page, 'dealer01');
  });

  await test.step('menu: 業務メニュー with all eight tiles', async () => {
    await expect(page).toHaveURL(/\/menu$/);
    await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
    await expect(page.getByText('autoBank SYSTEM')).toBeVisible();
    for (const title of TILES) {
      await expect(page.getByRole('link', { name: title, exact: true })).toBeVisible();
    }
    await expect(page.getByText('オークネット在庫データベースに在庫車両を登録します。')).toBeVisible();
  });

  await test.step('ログアウト ends the session', async () => {
    await page.getByRole('button', { name: 'ログアウト' }).click();
    await expect(page).toHaveURL(/\/$/);
    await page.goto('/menu');
    await expect(page).toHaveURL(/\/login\?next=\/menu$/);
  });
});

test('search sign-in lands on the vehicle search page, which says it is not built', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await page.getByRole('link', { name: '検索ログイン' }).click();
  await signIn(page, 'dealer01');
  await expect(page).toHaveURL(/\/search$/);
  await expect(page.getByRole('heading', { name: '車両検索' })).toBeVisible();
  await expect(page.getByText('まだご利用いただけません')).toBeVisible();
  await page.getByRole('link', { name: '業務メニューへ戻る' }).click();
  await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
});

test('a tile that is not built says so and leads back', async ({ page }) => {
  await page.goto('/login?next=/menu');
  await hydrated(page);
  await signIn(page, 'dealer01');
  await page.getByRole('link', { name: '見積システム設定', exact: true }).click();
  await expect(page.getByRole('heading', { name: '見積システム設定' })).toBeVisible();
  await expect(page.getByText('まだご利用いただけません')).toBeVisible();
});

test('a wrong password shows the message in place, keeps the ID and clears the password', async ({ page }) => {
  await page.goto('/login?next=/menu');
  await hydrated(page);
  await page.evaluate(() => ((window as any).__sameDocument = true));
  await signIn(page, 'dealer02', 'not-the-right-password');

  await expect(page.getByRole('alert').filter({ hasText: 'ログインIDまたはパスワードが正しくありません。' })).toBeVisible();
  await expect(page.getByLabel('ログインID')).toHaveValue('dealer02');
  await expect(page.getByLabel('パスワード')).toHaveValue('');
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);

  // An unknown ID gets exactly the same words.
  await signIn(page, 'nobody-here', 'not-the-right-password');
  await expect(page.getByRole('alert').filter({ hasText: 'ログインIDまたはパスワードが正しくありません。' })).toBeVisible();
});

test('empty fields are answered at once, next to each field', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  let posted = false;
  page.on('request', (r) => { if (r.method() === 'POST') posted = true; });
  await page.getByRole('button', { name: 'ログインして下さい' }).click();
  await expect(page.getByText('ログインIDを入力してください。')).toBeVisible();
  await expect(page.getByText('パスワードを入力してください。')).toBeVisible();
  expect(posted).toBe(false);
});

test('the MFA link signs in first, then lands on the MFA settings', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await page.getByRole('link', { name: '多要素認証設定はこちら' }).click();
  await signIn(page, 'dealer01');
  await expect(page).toHaveURL(/\/mfa$/);
  await expect(page.getByRole('heading', { name: '多要素認証設定' })).toBeVisible();
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('sign-in, a wrong password and logout all work', async ({ page }) => {
    await test.step('login: a wrong password is refused', async () => {
      await page.goto('/login?next=/menu');
      await signIn(page, 'dealer03', 'not-the-right-password');
      await expect(page.getByText('ログインIDまたはパスワードが正しくありません。')).toBeVisible();
    });

    await test.step('login: the right password reaches 業務メニュー', async () => {
      await signIn(page, 'dealer03', password('dealer03'));
      await expect(page).toHaveURL(/\/menu$/);
      await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
    });

    await test.step('ログアウト ends the session', async () => {
      await page.getByRole('button', { name: 'ログアウト' }).click();
      await expect(page).toHaveURL(/\/$/);
      await page.goto('/menu');
      await expect(page).toHaveURL(/\/login/);
    });
  });
});
