// What the walks through nginx share: browsers at client addresses of
// their own (egress.ts), plain requests from such an address, the
// instances run.sh started, and the audit trail as `autobank audit`
// prints it. The settings come from run.sh's environment.
import { test as base, expect } from '../tests/fixtures';
import type { BrowserContextOptions, Page } from '@playwright/test';
import { egress } from './egress';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

export { expect };
export * from '../tests/fixtures';

/** nginx's https origin, e.g. https://localhost:43121. */
export const origin = new URL(process.env.PROXY_ORIGIN!);
const httpsPort = Number(origin.port);
/** The throttle run.sh set on both instances. */
export const burst = Number(process.env.PROXY_POST_BURST);
export const perMinute = Number(process.env.PROXY_POSTS_PER_MINUTE);

type ClientAt = (address: string, options?: BrowserContextOptions) => Promise<Page>;

export const test = base.extend<{ clientAt: ClientAt }>({
  /**
   * A page in a browser of its own whose connections reach nginx from
   * `address` (127.0.0.2, 127.0.0.3, ...): a client nginx tells apart.
   * Like the `page` fixture, it fails the test on any uncaught error or
   * a script the Content-Security-Policy blocked.
   */
  clientAt: async ({ browser }, use) => {
    const open: { close(): Promise<void> }[] = [];
    const errors: string[] = [];
    await use(async (address, options = {}) => {
      const tunnel = await egress(address, httpsPort);
      const context = await browser.newContext({ ...options, proxy: { server: tunnel.server } });
      open.push(context, tunnel);
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(`${address}: ${e}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(`${address}: ${m.text()}`);
      });
      return page;
    });
    for (const o of open) await o.close();
    expect(errors, 'uncaught errors in the pages').toEqual([]);
  },
});

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request to nginx over TLS, sent from `address`. */
export function request(
  address: string,
  method: string,
  path: string,
  body = '',
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port: httpsPort,
        method,
        path,
        localAddress: address,
        rejectUnauthorized: false,
        agent: false,
        headers: {
          host: origin.host,
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One plain-HTTP request to nginx's redirecting port. */
export function plainRequest(path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: Number(process.env.PROXY_HTTP_PORT), path, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: '' }));
      })
      .on('error', reject);
  });
}

/** The instances run.sh started: process id and port. */
export function instances(): { pid: number; port: number }[] {
  return readFileSync(process.env.PROXY_INSTANCES!, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [pid, port] = line.split(' ').map(Number);
      return { pid, port };
    });
}

/** Stops one instance at once (SIGKILL: a crash, nothing finished). */
export function crash(instance: { pid: number }) {
  const cmdline = readFileSync(`/proc/${instance.pid}/cmdline`, 'utf8');
  expect(cmdline, 'the pid is an autobank instance').toContain('autobank');
  process.kill(instance.pid, 'SIGKILL');
}

/** The audit trail as the operator's `autobank audit` prints it: one object a line. */
export function auditTrail(loginId?: string): { event: string; loginId: string; by: string; address: string }[] {
  const args = ['audit', '--limit', '10000', ...(loginId ? ['--user', loginId] : [])];
  const out = execFileSync(process.env.PROXY_BIN!, args, { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      // TIME EVENT LOGIN-ID BY ADDRESS: no field has a space in it.
      const f = line.trim().split(/\s+/);
      return { event: f[1], loginId: f[2], by: f[3], address: f[f.length - 1] };
    });
}
