import { test, expect, hydrated } from './fixtures';

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
