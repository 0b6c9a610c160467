// The helpdesk's desk, walked in the browser: forced MFA setup for new
// staff, the lost phone (find, check the caller, reset with a ticket
// number, the dealer sets up a new phone, the audit trail shows it all),
// the temporary password, the step-up code, and the same without JavaScript.
import { test, expect, hydrated, signIn, password, setUpMfa, codeAt, waitForNextStep } from './fixtures';
import type { Page } from '@playwright/test';

const MFA_REQUIRED = 'ヘルプデスク・管理者のアカウントは多要素認証が必須です。';
const CONSOLE_TILE = /^ヘルプデスク$/;

async function signInAt(page: Page, id: string, pw = password(id)) {
  await page.goto('/login?next=/menu');
  await signIn(page, id, pw);
}

/** A new member of staff: signed in, MFA set up as the console demands. */
async function staffReady(page: Page, id: string) {
  await signInAt(page, id);
  await expect(page).toHaveURL(/\/mfa$/);
  await expect(page.getByText(MFA_REQUIRED)).toBeVisible();
  const totp = await setUpMfa(page, id);
  await page.goto('/menu');
  return totp;
}

/** From the menu: the console tile, a search, the account's page. */
async function openAccount(page: Page, id: string) {
  await page.getByRole('link', { name: CONSOLE_TILE }).click();
  await expect(page.getByRole('heading', { name: 'ヘルプデスク' })).toBeVisible();
  await page.getByLabel('ログインIDまたは名前（前方一致）').fill(id.toUpperCase());
  await page.getByRole('button', { name: '検索', exact: true }).click();
  await page.getByRole('link', { name: id, exact: true }).click();
  await expect(page.getByRole('heading', { name: `テスト販売店 ${id} (${id})` })).toBeVisible();
}

test('a new member of staff must set up MFA before any other page', async ({ page }) => {
  await signInAt(page, 'hd01');
  await expect(page).toHaveURL(/\/mfa$/);
  await expect(page.getByText(MFA_REQUIRED)).toBeVisible();
  await hydrated(page);
  // Only what the duty allows: no OFF, no way to the password page (it
  // would send them back here).
  await expect(page.getByRole('radio', { name: 'ON', exact: true })).toBeVisible();
  await expect(page.getByRole('radio', { name: 'OFF', exact: true })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'パスワードを変更する' })).toHaveCount(0);
  for (const path of ['/menu', '/helpdesk', '/password']) {
    await page.goto(path);
    await expect(page, path).toHaveURL(/\/mfa$/);
  }
  await setUpMfa(page, 'hd01');
  await page.goto('/menu');
  await expect(page.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
  await expect(page.getByRole('link', { name: CONSOLE_TILE })).toBeVisible();
  await expect(page.getByRole('link', { name: '多要素認証設定', exact: true })).toBeVisible();
});

test('a dealer loses the phone: the helpdesk checks the caller and resets MFA', async ({ browser }) => {
  test.setTimeout(90_000);
  const dealerId = 'dealer09';
  const dealer = await (await browser.newContext()).newPage();
  const staff = await (await browser.newContext()).newPage();
  for (const p of [dealer, staff]) p.on('pageerror', (e) => { throw e; });

  await test.step('the dealer has MFA on, then loses the phone', async () => {
    await signInAt(dealer, dealerId);
    await expect(dealer.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
    await dealer.goto('/mfa');
    await setUpMfa(dealer, dealerId);
    await dealer.getByRole('button', { name: 'ログアウト' }).click();
    await signInAt(dealer, dealerId);
    await expect(dealer.getByRole('heading', { name: 'アカウントの安全性向上' })).toBeVisible();
    await expect(dealer.getByText('ヘルプデスク(03-3556-0845)', { exact: false })).toBeVisible();
  });

  await test.step('the helpdesk signs in with MFA, finds the dealer, checks the caller', async () => {
    await staffReady(staff, 'hd02');
    await hydrated(staff);
    await openAccount(staff, dealerId);
    await hydrated(staff);
    const check = staff.getByRole('region', { name: '本人確認（操作の前に必ず行なってください）' });
    await expect(check.getByText(`テスト販売店 ${dealerId}`)).toBeVisible();
    await expect(check.getByText(/^\d{4}\/\d{2}\/\d{2}$/)).toBeVisible();
  });

  await test.step('without a reason nothing happens; with a ticket number MFA is reset', async () => {
    await staff.getByRole('button', { name: '多要素認証をリセットする（OFFにする）' }).click();
    await expect(staff.getByText('理由（問い合わせ番号など）を入力してください。')).toBeVisible();
    await staff.getByLabel('理由（問い合わせ番号など）').fill('INC-20261130-001');
    // It stops the dealer's sign-in with the phone: asked to confirm first.
    const reset = staff.getByRole('button', { name: '多要素認証をリセットする（OFFにする）' });
    await expect(reset).toHaveClass(/danger/);
    await reset.click();
    await expect(staff.getByText('この操作を行う場合は、確認のチェックを入れてください。')).toBeVisible();
    await expect(staff.getByText('操作を完了しました。記録に残っています。')).toHaveCount(0);
    await staff.getByLabel('お客様に説明し、この操作を行うことを確認しました').check();
    await reset.click();
    await expect(staff.getByText('操作を完了しました。記録に残っています。')).toBeVisible();
    const row = staff.getByRole('row').filter({ hasText: '多要素認証リセット' });
    // The actor by name and login ID.
    await expect(row).toContainText('ヘルプデスク hd02（hd02）');
    await expect(row).toContainText('INC-20261130-001');
    // The next action is another ticket's: the reason is emptied.
    await expect(staff.getByLabel('理由（問い合わせ番号など）')).toHaveValue('');
  });

  await test.step('the dealer signs in with the password alone and sets up the new phone', async () => {
    await signInAt(dealer, dealerId);
    await expect(dealer.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
    await dealer.getByRole('link', { name: '多要素認証設定', exact: true }).click();
    await expect(dealer.getByText('現在の設定：OFF')).toBeVisible();
    await setUpMfa(dealer, dealerId);
  });

  await test.step('the audit trail shows each step', async () => {
    await staff.reload();
    const events = staff.locator('table.events');
    for (const event of ['多要素認証ON', '多要素認証リセット', 'ログイン（パスワード）']) {
      await expect(events.getByRole('cell', { name: event, exact: true }).first(), event).toBeVisible();
    }
  });
});

test('a temporary password: shown once, signs in once, and a new one comes first', async ({ browser }) => {
  test.setTimeout(150_000);
  const dealerId = 'dealer10';
  const staff = await (await browser.newContext()).newPage();
  const dealer = await (await browser.newContext()).newPage();
  let temporary = '';

  await test.step('staff who signed in with a remembered device are asked for a code first', async () => {
    const totp = await staffReady(staff, 'hd03');
    await staff.getByRole('button', { name: 'ログアウト' }).click();
    await waitForNextStep();
    await signInAt(staff, 'hd03');
    await staff.getByLabel('ワンタイムコードの入力').fill(codeAt(totp, 0));
    await staff.getByLabel('このデバイスを30日間記録する').check();
    await staff.getByRole('button', { name: '>', exact: true }).click();
    await staff.getByRole('button', { name: 'ログアウト' }).click();
    await signInAt(staff, 'hd03');
    await expect(staff.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
    await openAccount(staff, dealerId);
    await hydrated(staff);
    await staff.getByLabel('理由（問い合わせ番号など）').fill('INC-20261130-002');
    await expect(staff.getByLabel('あなたのワンタイムコード')).toBeVisible();
    await waitForNextStep();
    await staff.getByLabel('あなたのワンタイムコード').fill(codeAt(totp, 0));
    await staff.getByRole('button', { name: '仮パスワードを発行する' }).click();
    const shown = staff.locator('code.secret-key');
    await expect(shown).toHaveText(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    temporary = await shown.innerText();
    await staff.reload();
    await expect(staff.locator('code.secret-key')).toHaveCount(0);
  });

  await test.step('the dealer signs in with it and must choose a new password first', async () => {
    await signInAt(dealer, dealerId, temporary);
    await expect(dealer).toHaveURL(/\/password$/);
    await expect(dealer.getByText('仮パスワードでログインしました。', { exact: false })).toBeVisible();
    await hydrated(dealer);
    await expect(dealer.getByLabel('現在のパスワード')).toHaveCount(0);
    await dealer.goto('/menu');
    await expect(dealer).toHaveURL(/\/password$/);
    const chosen = 'meadow-lantern-93-brisk';
    await dealer.getByLabel('新しいパスワード', { exact: true }).fill(chosen);
    await dealer.getByLabel('新しいパスワード（確認のため、もう一度）').fill(chosen);
    await dealer.getByRole('button', { name: '変更する' }).click();
    await expect(dealer.getByText('パスワードを変更しました。', { exact: false })).toBeVisible();
    await dealer.goto('/menu');
    await expect(dealer.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
  });

  await test.step('the temporary password never signs in again', async () => {
    await dealer.getByRole('button', { name: 'ログアウト' }).click();
    await signInAt(dealer, dealerId, temporary);
    await expect(dealer.getByText('ログインIDまたはパスワードが正しくありません。')).toBeVisible();
  });
});

test('without JavaScript: staff setup, the caller check, a temporary password and ending sessions', async ({ browser }) => {
  test.setTimeout(90_000);
  const context = await browser.newContext({ javaScriptEnabled: false });
  const staff = await context.newPage();
  const dealer = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  const dealerId = 'dealer11';

  await staffReady(staff, 'hd04');
  await openAccount(staff, dealerId);
  await staff.getByRole('button', { name: '仮パスワードを発行する' }).click();
  await expect(staff.getByText('理由（問い合わせ番号など）を入力してください。')).toBeVisible();
  await staff.getByLabel('理由（問い合わせ番号など）').fill('INC-20261130-003');
  await staff.getByRole('button', { name: '仮パスワードを発行する' }).click();
  const temporary = await staff.locator('code.secret-key').innerText();
  expect(temporary).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);

  await signInAt(dealer, dealerId, temporary);
  await expect(dealer).toHaveURL(/\/password$/);
  const chosen = 'harbor-violet-58-amber';
  await dealer.getByLabel('新しいパスワード', { exact: true }).fill(chosen);
  await dealer.getByLabel('新しいパスワード（確認のため、もう一度）').fill(chosen);
  await dealer.getByRole('button', { name: '変更する' }).click();
  await expect(dealer.getByText('パスワードを変更しました。', { exact: false })).toBeVisible();

  await staff.reload();
  await staff.getByLabel('理由（問い合わせ番号など）').fill('INC-20261130-004');
  await staff.getByRole('button', { name: 'すべてのログインを終了させる' }).click();
  // Without JavaScript too, nothing is done until the box is ticked.
  await expect(staff.getByText('この操作を行う場合は、確認のチェックを入れてください。')).toBeVisible();
  await dealer.goto('/menu');
  await expect(dealer.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
  await staff.getByLabel('理由（問い合わせ番号など）').fill('INC-20261130-004');
  await staff.getByLabel('お客様に説明し、この操作を行うことを確認しました').check();
  await staff.getByRole('button', { name: 'すべてのログインを終了させる' }).click();
  await expect(staff.locator('table.events').getByRole('cell', { name: 'すべてのログインを終了', exact: true })).toBeVisible();
  await dealer.goto('/menu');
  await expect(dealer).toHaveURL(/\/login/);
});

test('a dealer on a staff page gets one refusal page; a dealer stopped by staff is told so', async ({ browser }) => {
  test.setTimeout(90_000);
  const dealerId = 'dealer27';
  const dealer = await (await browser.newContext()).newPage();
  const staff = await (await browser.newContext()).newPage();
  staff.on('pageerror', (e) => { throw e; });

  await test.step('every staff page answers the same refusal, drawn before any staff widget', async () => {
    await signInAt(dealer, dealerId);
    await expect(dealer.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
    for (const [path, only] of [
      ['/helpdesk', 'この画面はヘルプデスク・管理者専用です。'],
      ['/helpdesk/users/dealer01', 'この画面はヘルプデスク・管理者専用です。'],
      ['/admin/audit', 'この画面は管理者専用です。'],
      ['/admin/clients', 'この画面は管理者専用です。'],
    ]) {
      const res = await dealer.goto(path);
      expect(res?.status(), path).toBe(403);
      await expect(dealer.getByText(only), path).toBeVisible();
      await expect(dealer.getByRole('link', { name: 'autoBank SYSTEM' }), path).toBeVisible();
      await expect(dealer.getByRole('button', { name: 'ログアウト' }), path).toBeVisible();
      await expect(dealer.getByRole('link', { name: '業務メニューへ戻る' }), path).toBeVisible();
      // Nothing of the staff page: no form, no CSV link, no way into the console.
      await expect(dealer.locator('main form'), path).toHaveCount(0);
      await expect(dealer.locator('a[href*="audit.csv"]'), path).toHaveCount(0);
      await expect(dealer.getByRole('link', { name: '検索へ戻る' }), path).toHaveCount(0);
    }
    await dealer.getByRole('link', { name: '業務メニューへ戻る' }).click();
    await expect(dealer.getByRole('heading', { name: '業務メニュー' })).toBeVisible();
  });

  await test.step('the helpdesk stops the account, asked to confirm, with the buttons set apart', async () => {
    await staffReady(staff, 'hd10');
    await openAccount(staff, dealerId);
    await hydrated(staff);
    const stop = staff.getByRole('button', { name: 'アカウントを停止する' });
    await expect(staff.getByRole('group', { name: /利用を止める操作/ }).getByRole('button', { name: 'アカウントを停止する' })).toBeVisible();
    await expect(staff.getByRole('button', { name: '仮パスワードを発行する' })).not.toHaveClass(/danger/);
    await staff.getByLabel('理由（問い合わせ番号など）').fill('INC-20261203-001');
    await staff.getByLabel('お客様に説明し、この操作を行うことを確認しました').check();
    await stop.click();
    await expect(staff.getByText('操作を完了しました。記録に残っています。')).toBeVisible();
    await expect(staff.getByLabel('理由（問い合わせ番号など）')).toHaveValue('');
  });

  await test.step('the dealer is told the helpdesk stopped it, with its number, not blamed for failures', async () => {
    await dealer.goto('/menu');
    await expect(dealer).toHaveURL(/\/login/);
    await signIn(dealer, dealerId);
    await expect(dealer.getByText('このアカウントはヘルプデスクにより停止されています。', { exact: false })).toBeVisible();
    await expect(dealer.getByText('03-3556-0845', { exact: false })).toBeVisible();
    await expect(dealer.getByText('ログインの失敗が続いたため', { exact: false })).toHaveCount(0);
  });
});

test('what staff type before the page wakes up stays in the field and is what they search for', async ({ page }) => {
  test.setTimeout(60_000);
  await signInAt(page, 'admin06');
  await setUpMfa(page, 'admin06');
  // Hold the WASM back until the field is filled: staff on a slow line type
  // into the server's page, and waking up must not wipe what they typed.
  const holdTheBundleWhile = async (typing: () => Promise<void>) => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/*.wasm', async (route) => {
      await held;
      await route.continue();
    });
    await typing();
    release();
    await hydrated(page);
    await page.unrouteAll();
  };

  await page.goto('/helpdesk');
  const search = page.getByLabel('ログインIDまたは名前（前方一致）');
  await holdTheBundleWhile(async () => {
    await expect(page.getByRole('heading', { name: 'ヘルプデスク' })).toBeVisible();
    await search.fill('dealer2');
  });
  await expect(search).toHaveValue('dealer2');
  await page.getByRole('button', { name: '検索', exact: true }).click();
  await expect(page.getByRole('link', { name: 'dealer27', exact: true })).toBeVisible();
  await expect(search).toHaveValue('dealer2');

  await page.goto('/admin/audit');
  const account = page.getByLabel('ログインID', { exact: true });
  const from = page.getByLabel('開始日');
  await holdTheBundleWhile(async () => {
    await expect(page.getByRole('heading', { name: '操作・ログインの記録' })).toBeVisible();
    await account.fill('admin06');
    await from.fill('2026-01-01');
  });
  await expect(account).toHaveValue('admin06');
  await expect(from).toHaveValue('2026-01-01');
  await page.getByRole('button', { name: '絞り込む' }).click();
  await expect(page).toHaveURL(/login_id=admin06.*from=2026-01-01/);
  await expect(page.getByRole('row').filter({ hasText: 'admin06' }).first()).toBeVisible();
});
