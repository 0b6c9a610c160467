import { test, expect, hydrated, signIn } from './fixtures';

test('the portal shows both entries, both links and the notices', async ({ page }) => {
  await test.step('portal: both entries and both links', async () => {
    await page.goto('/');
    await hydrated(page);
    await expect(page.getByRole('heading', { name: 'autoBank System' })).toBeVisible();
    await expect(page.getByText('Automobile search & estimation system for car-dealers')).toBeVisible();
    await expect(page.getByRole('link', { name: '検索ログイン' })).toBeVisible();
    await expect(page.getByRole('link', { name: '業務ログイン' })).toBeVisible();
    await expect(page.getByRole('link', { name: '多要素認証設定はこちら' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'パスワードを忘れた方はこちら' })).toBeVisible();
  });

  await test.step('portal: the <<INFORMATION>> notices', async () => {
    await expect(page.getByRole('heading', { name: '<<INFORMATION>>' })).toBeVisible();
    const notices = page.locator('.notice');
    await expect(notices).toHaveCount(2);
    await expect(notices.nth(0)).toContainText('テスト用の新しいお知らせ');
    await expect(notices.nth(0).locator('.new')).toHaveText('NEW');
    await expect(notices.nth(1)).toContainText('【2022/08/10】');
    await expect(notices.nth(1).locator('.new')).toHaveCount(0);
  });
});

test('forgot password names the helpdesk and what to tell them', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await page.getByRole('link', { name: 'パスワードを忘れた方はこちら' }).click();
  await expect(page.getByRole('heading', { name: 'パスワードを忘れた方へ' })).toBeVisible();
  await expect(page.getByRole('link', { name: '03-3556-0845' })).toBeVisible();
  await expect(page.getByText('ログインIDをお伝えください')).toBeVisible();
});

test('the built files are named after their content, sent compressed and cached for good', async ({ page }) => {
  const files: import('@playwright/test').Response[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/pkg/')) files.push(r);
  });
  await page.goto('/');
  await hydrated(page);
  const names = files.map((r) => new URL(r.url()).pathname);
  // The stylesheet, the JavaScript and the WASM, each under a hashed name.
  for (const kind of ['css', 'js', 'wasm']) {
    expect(names.some((n) => new RegExp(`^/pkg/autobank\\.[A-Za-z0-9_-]{22}\\.${kind}$`).test(n)), `${kind} in ${names}`).toBe(true);
  }
  for (const r of files) {
    const h = await r.allHeaders();
    expect(h['cache-control'], r.url()).toBe('public, max-age=31536000, immutable');
    expect(['br', 'gzip'], r.url()).toContain(h['content-encoding']);
  }
  // The page itself is never stored.
  const res = await page.request.get('/');
  expect(res.headers()['cache-control']).toBe('no-store');
});

test('a page split off from the main bundle hydrates when opened directly', async ({ page }) => {
  const files: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/pkg/')) files.push(path);
  });
  // The sign-in page is in the main module: no split-off part is fetched
  // (only the small loader that would fetch one).
  const splitParts = () => files.filter((f) => /\.wasm$/.test(f) && !/^\/pkg\/autobank\./.test(f));
  await page.goto('/login');
  await hydrated(page);
  expect(splitParts()).toEqual([]);
  // The menu is not: opened directly after signing in, its part is
  // fetched before the page hydrates, and the page works.
  await signIn(page, 'dealer01');
  await expect(page).toHaveURL(/\/menu$/);
  await page.reload();
  await hydrated(page);
  expect(splitParts().some((f) => f.includes('menu_view')), `split parts: ${splitParts()}`).toBe(true);
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await expect(page).toHaveURL(/\/$/);
});
