// An admin in the browser: a new account with its temporary password, the
// audit trail filtered and downloaded as CSV for Excel, a notice posted to
// the portal, and the dealers' MFA policy.
import { test, expect, hydrated, setUpMfa, signIn, password } from './fixtures';
import { readFileSync } from 'node:fs';

test('an admin creates an account, reads and downloads the audit trail, posts a notice, sets the policy', async ({ page }) => {
  test.setTimeout(90_000);
  await test.step('sign in; MFA first; the console', async () => {
    await page.goto('/login?next=/menu');
    await signIn(page, 'admin01');
    await expect(page).toHaveURL(/\/mfa$/);
    await setUpMfa(page, 'admin01');
    await page.goto('/menu');
    await page.getByRole('link', { name: /^ヘルプデスク$/ }).click();
    await expect(page.getByRole('heading', { name: 'ヘルプデスク' })).toBeVisible();
    await hydrated(page);
  });

  await test.step('アカウント作成: the new account page shows its temporary password once', async () => {
    await page.getByLabel('ログインID', { exact: true }).last().fill('dealer90');
    await page.getByLabel('会社名・お名前（登録名）').fill('=HYPERLINK("http://evil")');
    await page.getByLabel('理由（問い合わせ番号など）').fill('REQ-2026-1130');
    await page.getByRole('button', { name: '作成する（仮パスワードを発行）' }).click();
    await expect(page).toHaveURL(/\/helpdesk\/users\/dealer90$/);
    await expect(page.locator('code.secret-key')).toHaveText(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
  });

  await test.step('the audit trail, filtered, and its CSV', async () => {
    await page.goto('/helpdesk');
    await page.getByRole('link', { name: '操作・ログインの記録' }).click();
    await expect(page.getByRole('heading', { name: '操作・ログインの記録' })).toBeVisible();
    await page.getByLabel('内容').selectOption('user_created');
    await page.getByRole('button', { name: '絞り込む' }).click();
    const row = page.getByRole('row').filter({ hasText: 'dealer90' });
    await expect(row).toContainText('アカウント作成');
    await expect(row).toContainText('REQ-2026-1130');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'CSVでダウンロード（Excel用）' }).click(),
    ]);
    const bytes = readFileSync(await download.path());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.subarray(3).toString('utf8');
    expect(csv).toContain('"アカウント作成"');
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`);
  });

  await test.step('a notice posted here is on the portal with NEW', async () => {
    await page.goto('/admin/notices');
    await hydrated(page);
    const today = new Date(Date.now() + 9 * 3600_000).toISOString().slice(0, 10);
    await page.locator('#notice-new-date').fill(today);
    await page.locator('#notice-new-title').fill('管理画面からのお知らせ');
    await page.locator('#notice-new-body').fill('本日のメンテナンスは終了しました。');
    await page.getByRole('button', { name: '掲載する' }).click();
    await expect(page.getByText('お知らせを更新しました。')).toBeVisible();
    await page.goto('/');
    const notice = page.locator('li.notice').filter({ hasText: '管理画面からのお知らせ' });
    await expect(notice).toContainText('NEW');
  });

  await test.step('and deleted again', async () => {
    await page.goto('/admin/notices');
    await hydrated(page);
    const form = page.locator('form.notice-form').filter({ has: page.locator('input[value="管理画面からのお知らせ"]') });
    await form.getByRole('button', { name: '削除する' }).click();
    await expect(page.getByText('お知らせを更新しました。')).toBeVisible();
    await page.goto('/');
    await expect(page.locator('li.notice').filter({ hasText: '管理画面からのお知らせ' })).toHaveCount(0);
  });

  await test.step('the dealers MFA policy', async () => {
    await page.goto('/admin/policy');
    await hydrated(page);
    await page.getByLabel('販売店に必須にする日').fill('2099-04-01');
    await page.getByRole('button', { name: '設定する' }).click();
    await expect(page.getByText('設定しました。')).toBeVisible();
    await expect(page.getByText('現在の設定：2099-04-01')).toBeVisible();
  });
});

test('before the policy date a dealer without MFA sees it on the menu', async ({ page }) => {
  // The admin test above set 2099-04-01; tests run in file order, one worker.
  await page.goto('/login?next=/menu');
  await signIn(page, 'dealer14', password('dealer14'));
  await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
  await expect(page.getByText('2099/04/01から、多要素認証（ワンタイムパスワード）の設定が必須になります。', { exact: false })).toBeVisible();
});

test('連携アプリの管理: an admin registers an application on a tile, sees its secret once, and removes it', async ({ page }) => {
  test.setTimeout(90_000);
  const app = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 3100) + 1}`;
  page.on('pageerror', (e) => { throw e; });
  await page.goto('/login?next=/menu');
  await signIn(page, 'admin05');
  await expect(page).toHaveURL(/\/mfa$/);
  await setUpMfa(page, 'admin05');
  await page.goto('/helpdesk');
  await page.getByRole('link', { name: '連携アプリの管理' }).click();
  await expect(page.getByRole('heading', { name: '連携アプリの管理', level: 1 })).toBeVisible();
  await hydrated(page);

  await test.step('a loose URI is refused under its field', async () => {
    await page.getByLabel('名前', { exact: true }).fill('品質評価（テスト）');
    await page.getByLabel('リダイレクトURI（1行に1つ）').fill(`${app}/cb#frag`);
    await page.getByRole('button', { name: '登録する' }).click();
    await expect(page.locator('#client-redirect-uris-error')).toContainText('https:// で始まる完全なURL');
  });

  await test.step('registered on 車両品質評価書: the ID and secret once', async () => {
    await page.getByLabel('リダイレクトURI（1行に1つ）').fill(`${app}/cb`);
    await page.getByLabel('割り当てるタイル').selectOption({ label: '車両品質評価書' });
    await page.getByLabel('開始URL（タイルを選んだとき）').fill(`${app}/login`);
    await page.getByRole('button', { name: '登録する' }).click();
    await expect(page.getByText('連携アプリを更新しました。')).toBeVisible();
    await expect(page.getByLabel('クライアントシークレット')).toHaveText(/^[A-Za-z0-9_-]{43}$/);
    await expect(page.getByRole('heading', { name: '品質評価（テスト）' })).toBeVisible();
    await page.reload();
    await expect(page.getByRole('heading', { name: '品質評価（テスト）' })).toBeVisible();
    await expect(page.getByLabel('クライアントシークレット')).toHaveCount(0);
  });

  await test.step('the tile opens the application', async () => {
    await page.goto('/menu');
    await expect(page.getByRole('link', { name: '車両品質評価書', exact: true })).toHaveAttribute('href', `${app}/login`);
  });

  await test.step('removed, after its box: the tile keeps its page again', async () => {
    await page.goto('/admin/clients');
    await hydrated(page);
    const section = page.getByRole('region', { name: '品質評価（テスト）' });
    await section.getByRole('button', { name: '削除する' }).click();
    await expect(section.getByText('削除する場合は、確認のチェックを入れてください。')).toBeVisible();
    await section.getByLabel('この連携アプリを削除します', { exact: false }).check();
    await section.getByRole('button', { name: '削除する' }).click();
    await expect(page.getByRole('heading', { name: '品質評価（テスト）' })).toHaveCount(0);
    await page.goto('/menu');
    await expect(page.getByRole('link', { name: '車両品質評価書', exact: true })).toHaveAttribute('href', '/menu/quality-reports');
  });
});
