// The portal as docs/DEPLOY.md deploys it: every request through nginx
// with TLS (docs/deploy/nginx.conf) to two instances on one PostgreSQL
// database, each browser from a client address of its own. The manual's
// sign-in with the code, a helpdesk MFA reset, the audit trail and the
// throttle naming the client nginx saw (never nginx), HSTS and the
// session cookie, the body limit, plain HTTP, and an instance that
// crashes mid-walk. The crash comes last: later tests would have one
// instance.
import {
  test, expect, hydrated, signIn, password, setUpMfa, codeAt,
  origin, burst, perMinute, request, plainRequest, instances, crash, auditTrail, type Answer,
} from './fixtures';
import type { Page } from '@playwright/test';
import * as tls from 'node:tls';
import * as http from 'node:http';

const MENU = '業務メニュー';
const FORGED = '203.0.113.66';

async function signInAt(page: Page, id: string) {
  await page.goto('/login?next=/menu');
  await hydrated(page);
  await signIn(page, id, password(id));
}

test('the manual through nginx: sign-in, MFA setup, the code at sign-in; HSTS once; the session cookie', async ({ clientAt }) => {
  test.setTimeout(120_000);
  const id = 'dealer05';
  const page = await clientAt('127.0.0.2');

  await test.step('the portal over https: Strict-Transport-Security once, the portal\'s own', async () => {
    const res = await page.goto('/');
    const hsts = (await res!.headersArray()).filter((h) => h.name.toLowerCase() === 'strict-transport-security');
    expect(hsts.map((h) => h.value)).toEqual(['max-age=31536000; includeSubDomains']);
    await hydrated(page);
  });

  await test.step('業務ログイン, sign in: the menu; the session cookie is __Host-, Secure, HttpOnly', async () => {
    await page.getByRole('link', { name: '業務ログイン' }).click();
    await signIn(page, id);
    await expect(page.getByRole('heading', { name: MENU })).toBeVisible();
    const session = (await page.context().cookies()).find((c) => c.name === '__Host-autobank_session');
    expect(session, 'the session cookie').toBeDefined();
    expect(session).toMatchObject({ secure: true, httpOnly: true, path: '/', sameSite: 'Lax', domain: 'localhost' });
    expect(session!.expires, 'ends when the browser closes').toBe(-1);
  });

  let totp!: Awaited<ReturnType<typeof setUpMfa>>;
  await test.step('多要素認証設定: the authenticator app is set up', async () => {
    await page.getByRole('link', { name: '多要素認証設定', exact: true }).click();
    await expect(page.getByText('現在の設定：OFF')).toBeVisible();
    totp = await setUpMfa(page, id);
  });

  await test.step('ログアウト; 業務ログイン asks for the code, and the code reaches the menu', async () => {
    await page.getByRole('button', { name: 'ログアウト' }).click();
    await expect(page).toHaveURL(/\/$/);
    await hydrated(page);
    await page.getByRole('link', { name: '業務ログイン' }).click();
    await signIn(page, id);
    await expect(page.getByRole('heading', { name: 'アカウントの安全性向上' })).toBeVisible();
    await hydrated(page);
    await page.getByLabel('ワンタイムコードの入力').fill(codeAt(totp, 0));
    await page.getByRole('button', { name: '>', exact: true }).click();
    await expect(page.getByRole('heading', { name: MENU })).toBeVisible();
  });
});

test('a helpdesk MFA reset through nginx; the audit trail names each client, never nginx', async ({ clientAt }) => {
  test.setTimeout(150_000);
  const dealerId = 'dealer12';
  const dealerAt = '127.0.0.3';
  const staffAt = '127.0.0.4';
  // The dealer's browser claims another address: nginx overwrites it.
  const dealer = await clientAt(dealerAt, { extraHTTPHeaders: { 'X-Forwarded-For': FORGED } });
  const staff = await clientAt(staffAt);

  await test.step('the dealer has MFA on, then loses the phone', async () => {
    await signInAt(dealer, dealerId);
    await expect(dealer.getByRole('heading', { name: MENU })).toBeVisible();
    await dealer.goto('/mfa');
    await setUpMfa(dealer, dealerId);
    await dealer.getByRole('button', { name: 'ログアウト' }).click();
    await signInAt(dealer, dealerId);
    await expect(dealer.getByRole('heading', { name: 'アカウントの安全性向上' })).toBeVisible();
  });

  await test.step('the helpdesk signs in and sets up MFA as staff must, finds the dealer', async () => {
    await signInAt(staff, 'hd05');
    await expect(staff).toHaveURL(/\/mfa$/);
    await setUpMfa(staff, 'hd05');
    await staff.goto('/menu');
    await staff.getByRole('link', { name: /^ヘルプデスク$/ }).click();
    await expect(staff.getByRole('heading', { name: 'ヘルプデスク' })).toBeVisible();
    await staff.getByLabel('ログインIDまたは名前（前方一致）').fill(dealerId);
    await staff.getByRole('button', { name: '検索', exact: true }).click();
    await staff.getByRole('link', { name: dealerId, exact: true }).click();
    await expect(staff.getByRole('heading', { name: `テスト販売店 ${dealerId} (${dealerId})` })).toBeVisible();
    await hydrated(staff);
    const check = staff.getByRole('region', { name: '本人確認（操作の前に必ず行なってください）' });
    await expect(check.getByText(`テスト販売店 ${dealerId}`)).toBeVisible();
  });

  await test.step('with a ticket number, MFA is reset; the record names the staff member\'s address', async () => {
    await staff.getByLabel('理由（問い合わせ番号など）').fill('INC-PROXY-001');
    await staff.getByLabel('お客様に説明し、この操作を行うことを確認しました').check();
    await staff.getByRole('button', { name: '多要素認証をリセットする（OFFにする）' }).click();
    await expect(staff.getByText('操作を完了しました。記録に残っています。')).toBeVisible();
    const row = staff.getByRole('row').filter({ hasText: '多要素認証リセット' });
    await expect(row).toContainText('ヘルプデスク hd05（hd05）');
    await expect(row).toContainText(staffAt);
  });

  await test.step('the dealer signs in with the password alone', async () => {
    await signInAt(dealer, dealerId);
    await expect(dealer.getByRole('heading', { name: MENU })).toBeVisible();
  });

  await test.step('the account\'s records on the console: the dealer\'s address and the staff member\'s', async () => {
    await staff.reload();
    const events = staff.locator('table.events');
    const signedIn = events.getByRole('row').filter({ hasText: 'ログイン（パスワード）' }).first();
    await expect(signedIn).toContainText(dealerAt);
    const addresses = (await events.locator('tbody tr td:last-child').allInnerTexts()).map((a) => a.trim());
    expect(addresses).toContain(dealerAt);
    expect(addresses).toContain(staffAt);
    expect(addresses).not.toContain('127.0.0.1');
    expect(addresses).not.toContain(FORGED);
  });

  await test.step('autobank audit: every record of the run names a client, none nginx\'s 127.0.0.1', async () => {
    const mine = auditTrail(dealerId);
    expect(mine.find((r) => r.event === 'sign_in_success')?.address).toBe(dealerAt);
    expect(mine.find((r) => r.event === 'mfa_on')?.address).toBe(dealerAt);
    expect(mine.find((r) => r.event === 'mfa_reset')).toMatchObject({ by: 'helpdesk:hd05', address: staffAt });
    const everyAddress = new Set(auditTrail().map((r) => r.address));
    expect(everyAddress.has('127.0.0.1'), [...everyAddress].join(' ')).toBe(false);
    expect(everyAddress.has(FORGED)).toBe(false);
  });
});

test('the throttle counts the client nginx saw: one floods and gets 429, another still gets through', async () => {
  const flooder = '127.0.0.20';
  const neighbour = '127.0.0.21';
  // The sign-in form's post, with an unknown ID and no password: refused
  // at once, and no password is hashed.
  const post = (from: string) => request(from, 'POST', '/api/login', 'login_id=nobody-here&password=&next=%2Fmenu');
  const started = Date.now();
  let accepted = 0;
  let refused: Answer | undefined;
  for (let i = 0; i < 4 * burst + 40 && !refused; i++) {
    const answer = await post(flooder);
    expect([502, 503, 504], 'answered by an instance').not.toContain(answer.status);
    if (answer.status === 429) refused = answer;
    else accepted++;
  }
  const seconds = (Date.now() - started) / 1000;
  expect(refused, 'a 429 for the client that floods').toBeDefined();
  expect(refused!.headers['retry-after']).toMatch(/^\d+$/);
  expect(refused!.body).toContain('短い時間に操作が続いたため');
  // Each instance counts in its own memory: at least one burst went
  // through, at most both bursts and what refilled meanwhile.
  expect(accepted).toBeGreaterThanOrEqual(burst);
  expect(accepted).toBeLessThanOrEqual(2 * (burst + Math.ceil((seconds * perMinute) / 60)) + 1);
  // Had the throttle counted nginx's address, this would be refused too.
  const other = await post(neighbour);
  expect(other.status, 'another client behind the same nginx').not.toBe(429);
  expect([502, 503, 504]).not.toContain(other.status);
});

test('request bodies: the portal\'s own Japanese 413 up to nginx\'s limit, nginx\'s beyond it', async () => {
  const from = '127.0.0.22';
  const form = (bytes: number) => `login_id=${'a'.repeat(bytes)}&password=x&next=%2Fmenu`;
  const portal = await request(from, 'POST', '/api/login', form(20 * 1024));
  expect(portal.status).toBe(413);
  expect(portal.body).toContain('送信内容が大きすぎます');
  const nginx = await request(from, 'POST', '/api/login', form(64 * 1024));
  expect(nginx.status).toBe(413);
  expect(nginx.body).not.toContain('送信内容が大きすぎます');
});

test('plain HTTP only redirects to the https origin; TLS for another name is refused', async () => {
  const plain = await plainRequest('/menu?x=1');
  expect(plain.status).toBe(301);
  expect(plain.headers.location).toBe(`${origin.origin}/menu?x=1`);
  const handshake = (servername: string) =>
    new Promise<string>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port: Number(origin.port), servername, rejectUnauthorized: false });
      socket.on('secureConnect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (e) => resolve(`refused: ${e.message}`));
    });
  expect(await handshake('localhost')).toBe('connected');
  expect(await handshake('portal.invalid')).toMatch(/^refused/);
});

test('an instance crashes mid-walk: the signed-in walk goes on through nginx on the other', async ({ clientAt }) => {
  test.setTimeout(90_000);
  const page = await clientAt('127.0.0.5');
  const [victim, survivor] = instances();

  await test.step('signed in, on the MFA settings', async () => {
    await signInAt(page, 'dealer13');
    await expect(page.getByRole('heading', { name: MENU })).toBeVisible();
    await page.getByRole('link', { name: '多要素認証設定', exact: true }).click();
    await expect(page.getByText('現在の設定：OFF')).toBeVisible();
  });

  await test.step(`instance on port ${victim.port} killed`, async () => {
    crash(victim);
    await expect
      .poll(() => refused(victim.port), { message: 'the killed instance no longer answers' })
      .toBe(true);
    expect(await refused(survivor.port)).toBe(false);
  });

  await test.step('the next page loads still show the signed-in menu', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await page.goto('/menu');
      expect(res!.status()).toBe(200);
      await expect(page).toHaveURL(/\/menu$/);
      await expect(page.getByRole('heading', { name: MENU })).toBeVisible();
    }
    await hydrated(page);
  });

  await test.step('the walk goes on: MFA settings, then ログアウト', async () => {
    await page.getByRole('link', { name: '多要素認証設定', exact: true }).click();
    await expect(page.getByText('現在の設定：OFF')).toBeVisible();
    await page.getByRole('button', { name: 'ログアウト' }).click();
    await expect(page).toHaveURL(/\/$/);
    await page.goto('/menu');
    await expect(page).toHaveURL(/\/login\?next=\/menu$/);
  });

  const ready = await request('127.0.0.5', 'GET', '/readyz');
  expect(ready.status).toBe(200);
});

/** True when nothing listens on the port any more. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
        res.resume();
        resolve(false);
      })
      .on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}
