// Single sign-on: the demo business application (examples/dealer-app,
// openid-client) runs beside the portal on the next port, registered and
// bound to the `在庫登録` tile by serve.sh. A dealer reaches it from the
// menu already signed in, or starts at the application and comes back to
// it through the manual's screens.
import { test, expect, hydrated, signIn, password, setUpMfa, codeAt } from './fixtures';

const port = Number(process.env.E2E_PORT ?? 3100);
const APP = `http://127.0.0.1:${port + 1}`;

test('a dealer with MFA clicks 在庫登録 and lands in the application, signed in, with otp in amr', async ({ page }) => {
  test.setTimeout(90_000);
  const id = 'dealer23';
  await page.goto('/login?next=/mfa');
  await signIn(page, id);
  await expect(page.getByRole('heading', { name: '多要素認証設定' })).toBeVisible();
  await hydrated(page);
  const totp = await setUpMfa(page, id);
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await expect(page).toHaveURL(/\/$/);

  await page.goto('/login?next=/menu');
  await signIn(page, id);
  await expect(page.getByRole('heading', { name: 'アカウントの安全性向上' })).toBeVisible();
  await hydrated(page);
  await page.getByLabel('ワンタイムコードの入力').fill(codeAt(totp, 0));
  await page.getByRole('button', { name: '>', exact: true }).click();
  await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
  await hydrated(page);

  const tile = page.getByRole('link', { name: '在庫登録', exact: true });
  await expect(tile).toHaveAttribute('href', `${APP}/login`);
  await tile.click();
  await expect(page).toHaveURL(`${APP}/`);
  await expect(page.locator('#signed-in')).toContainText(`テスト販売店 ${id}`);
  await expect(page.locator('#login-id')).toHaveText(id);
  await expect(page.locator('#amr')).toHaveText('pwd otp mfa');

  // The other tiles keep their honest page.
  await page.goto('/menu');
  await expect(page.getByRole('link', { name: '検索設定', exact: true })).toHaveAttribute('href', '/menu/search-settings');
});

test('a dealer not yet signed in starts at the application, signs in on the portal, and comes back', async ({ page }) => {
  const id = 'dealer24';
  await page.goto(`${APP}/`);
  await page.getByRole('link', { name: 'ポータルでログイン' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('button', { name: 'ログインして下さい' })).toBeVisible();
  await hydrated(page);
  await signIn(page, id, password(id));
  await expect(page).toHaveURL(`${APP}/`);
  await expect(page.locator('#login-id')).toHaveText(id);
  await expect(page.locator('#amr')).toHaveText('pwd');
  await expect(page.locator('#acr')).toHaveText('urn:autobank:acr:password');

  // ログアウト in the application ends the portal's session too
  // (RP-initiated logout) and comes back.
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await expect(page).toHaveURL(`${APP}/`);
  await expect(page.getByText('ログインしていません。')).toBeVisible();
  await page.goto('/menu');
  await expect(page).toHaveURL(/\/login\?next=/);
});

test('a request from an unknown application gets a Japanese page on the portal, and goes nowhere', async ({ page }) => {
  const res = await page.goto('/oidc/authorize?client_id=nobody&redirect_uri=https%3A%2F%2Fevil.example%2F&response_type=code&scope=openid');
  expect(res?.status()).toBe(400);
  await expect(page).toHaveURL(/\/oidc\/authorize/);
  await expect(page.getByRole('heading', { name: '業務アプリに移動できません' })).toBeVisible();
});
