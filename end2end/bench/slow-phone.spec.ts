// Time to use on a slow phone: how long until the page is interactive
// (`body[data-hydrated]`), on an emulated mobile connection (1.6 Mbit/s
// down, 750 kbit/s up, 150 ms round trip) with the CPU slowed down 4×,
// first with an empty cache and then with a warm one. Figures, not
// pass/fail: they go to target/bench/slow-phone.json, which `make bench`
// puts in its table.
import { test, expect, type BrowserContext, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { password, setUpMfa, signIn } from '../tests/fixtures';

const RUNS = 3;

// Records when the page first carries `data-hydrated`, in ms since the
// navigation started.
const MARK = `
  new MutationObserver((_, observer) => {
    if (document.body && document.body.hasAttribute('data-hydrated')) {
      window.__hydratedAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
`;

async function slowPhone(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.addInitScript(MARK);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  // Empty, even where signing in first filled it.
  await cdp.send('Network.clearBrowserCache');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: (1.6 * 1000 * 1000) / 8,
    uploadThroughput: (750 * 1000) / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  return page;
}

async function timeToInteractive(page: Page, url: string): Promise<number> {
  await page.goto(url, { waitUntil: 'commit' });
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1, { timeout: 30_000 });
  const at = await page.evaluate(() => (window as unknown as { __hydratedAt?: number }).__hydratedAt);
  expect(at, 'the hydration mark was recorded').toBeDefined();
  expect(new URL(page.url()).pathname).toBe(new URL(url, 'http://x').pathname);
  return at!;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('portal, sign-in and code page on a slow phone', async ({ browser }) => {
  // A dealer with MFA on, so that the code page can be reached.
  const id = 'dealer14';
  const setup = await browser.newContext();
  const page = await setup.newPage();
  await page.goto('/login');
  await signIn(page, id);
  await expect(page).toHaveURL(/\/menu$/);
  await page.goto('/mfa');
  await setUpMfa(page, id);
  await setup.close();

  const pages: { name: string; url: string; half?: boolean }[] = [
    { name: 'portal', url: '/' },
    { name: 'sign-in', url: '/login' },
    { name: 'code page', url: '/login/code', half: true },
  ];
  const results: Record<string, { empty: number[]; warm: number[] }> = {};
  for (const p of pages) {
    results[p.name] = { empty: [], warm: [] };
    for (let run = 0; run < RUNS; run++) {
      // A new context: an empty cache (and no cookies).
      const context = await browser.newContext();
      if (p.half) {
        const signer = await context.newPage();
        await signer.goto('/login');
        await signIn(signer, id, password(id));
        await expect(signer).toHaveURL(/\/login\/code(\?|$)/);
        await signer.close();
      }
      const phone = await slowPhone(context);
      results[p.name].empty.push(await timeToInteractive(phone, p.url));
      results[p.name].warm.push(await timeToInteractive(phone, p.url));
      await context.close();
    }
  }

  const summary = Object.fromEntries(
    Object.entries(results).map(([name, r]) => [
      name,
      { empty_ms: median(r.empty), warm_ms: median(r.warm), runs: r },
    ]),
  );
  const out = path.join(__dirname, '..', '..', 'target', 'bench', 'slow-phone.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ measured: new Date().toISOString(), pages: summary }, null, 2));
  console.log(JSON.stringify(summary));
});
