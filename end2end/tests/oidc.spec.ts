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

/** Signs `id` in at the application (through the portal's sign-in) and checks it is in. */
async function intoTheApp(page: import('@playwright/test').Page, id: string) {
  await page.goto(`${APP}/`);
  await page.getByRole('link', { name: 'ポータルでログイン' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await signIn(page, id, password(id));
  await expect(page).toHaveURL(`${APP}/`);
  await expect(page.locator('#login-id')).toHaveText(id);
}

test('ログアウト on the portal ends the application session too (back-channel logout)', async ({ page }) => {
  const id = 'dealer25';
  await intoTheApp(page, id);
  await page.goto('/menu');
  await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
  await hydrated(page);
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await expect(page).toHaveURL(/\/$/);
  // The portal told the application's server; no browser redirect did it.
  await expect(async () => {
    await page.goto(`${APP}/`);
    await expect(page.getByText('ログインしていません。')).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 10_000 });
});

test('the helpdesk ending all of a dealer\'s sessions ends the application session too', async ({ browser }) => {
  test.setTimeout(90_000);
  const id = 'dealer26';
  const dealer = await (await browser.newContext()).newPage();
  const staff = await (await browser.newContext()).newPage();
  for (const p of [dealer, staff]) p.on('pageerror', (e) => { throw e; });
  await intoTheApp(dealer, id);

  await staff.goto('/login?next=/menu');
  await signIn(staff, 'hd08');
  await expect(staff).toHaveURL(/\/mfa$/);
  await setUpMfa(staff, 'hd08');
  await staff.goto('/menu');
  await staff.getByRole('link', { name: /^ヘルプデスク$/ }).click();
  await staff.getByLabel('ログインIDまたは名前（前方一致）').fill(id);
  await staff.getByRole('button', { name: '検索', exact: true }).click();
  await staff.getByRole('link', { name: id, exact: true }).click();
  await hydrated(staff);
  await staff.getByLabel('理由（問い合わせ番号など）').fill('INC-20261203-001');
  await staff.getByLabel('お客様に説明し、この操作を行うことを確認しました').check();
  await staff.getByRole('button', { name: 'すべてのログインを終了させる' }).click();
  // Just set up with a code: no step-up asked yet.
  await expect(staff.locator('table.events').getByRole('cell', { name: 'すべてのログインを終了', exact: true })).toBeVisible();

  await expect(async () => {
    await dealer.goto(`${APP}/`);
    await expect(dealer.getByText('ログインしていません。')).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 10_000 });
});

test('a duty on the way (staff must set up MFA) is done on the portal, then 「…」へ進む goes on to the application', async ({ page }) => {
  test.setTimeout(90_000);
  const id = 'hd09';
  await page.goto(`${APP}/`);
  await page.getByRole('link', { name: 'ポータルでログイン' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await signIn(page, id, password(id));
  await expect(page).toHaveURL(/\/mfa$/);
  await setUpMfa(page, id);
  await expect(page.getByText('多要素認証をONにしました。')).toBeVisible();
  await expect(page.getByText('業務アプリへのログインの途中です。')).toBeVisible();
  await page.getByRole('link', { name: '「在庫登録（デモ）」へ進む' }).click();
  await expect(page).toHaveURL(`${APP}/`);
  await expect(page.locator('#login-id')).toHaveText(id);
  await expect(page.locator('#amr')).toHaveText('pwd otp mfa');
});
