// Changing one's own password from the MFA settings page.
import { test, expect, hydrated, signIn, password } from './fixtures';

test('a dealer changes their password: refused when the current one is wrong, then changed', async ({ page }) => {
  const id = 'dealer08';
  const next = 'lantern-orchard-42-quiet';

  await test.step('sign in, 多要素認証設定, パスワードを変更する', async () => {
    await page.goto('/login?next=/mfa');
    await signIn(page, id, password(id));
    await expect(page.getByRole('heading', { name: '多要素認証設定' })).toBeVisible();
    await page.getByRole('link', { name: 'パスワードを変更する' }).click();
    await expect(page.getByRole('heading', { name: 'パスワード変更' })).toBeVisible();
    await hydrated(page);
  });

  await test.step('a wrong current password is refused and every field is emptied', async () => {
    await page.getByLabel('現在のパスワード').fill('not-my-password-1');
    await page.getByLabel('新しいパスワード', { exact: true }).fill(next);
    await page.getByLabel('新しいパスワード（確認のため、もう一度）').fill(next);
    await page.getByRole('button', { name: '変更する' }).click();
    await expect(page.getByText('パスワードが正しくありません。')).toBeVisible();
    await expect(page.getByLabel('現在のパスワード')).toHaveValue('');
    await expect(page.getByLabel('新しいパスワード', { exact: true })).toHaveValue('');
  });

  await test.step('the right one changes it', async () => {
    await page.getByLabel('現在のパスワード').fill(password(id));
    await page.getByLabel('新しいパスワード', { exact: true }).fill(next);
    await page.getByLabel('新しいパスワード（確認のため、もう一度）').fill(next);
    await page.getByRole('button', { name: '変更する' }).click();
    await expect(page.getByText('パスワードを変更しました。ほかのブラウザはログアウトしました。')).toBeVisible();
  });

  await test.step('log out; the new password signs in', async () => {
    await page.getByRole('button', { name: 'ログアウト' }).click();
    await page.goto('/login?next=/menu');
    await signIn(page, id, next);
    await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
  });
});
