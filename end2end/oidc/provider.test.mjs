// The portal as an OpenID Connect provider, judged by Node's
// `openid-client` 6 (OpenID Certified for the Basic RP profile): the cases
// of the OpenID Foundation's basic certification plan that apply to a
// code-flow provider (docs/OIDC.md maps each to its test here).
//
// Starts the release server on a fresh database: SQLite in a temporary
// folder, or the PostgreSQL database named by OIDC_DATABASE_URL. Run with
// `node --test end2end/oidc/` (the Makefile does, once per engine).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, decodeJwt } from 'jose';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'target', 'release', 'autobank');
const CALLBACK = 'https://zaiko.example.jp/cb';
const PASSWORD = 'oidc-Suite-pass-phrase-42';

let server;
let data;
let issuer;
const env = { ...process.env, RUST_LOG: 'warn' };

function freePort() {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Runs the operator's command line on the suite's database. */
function cli(args, input = '') {
  return execFileSync(bin, args, { env, input, encoding: 'utf8' });
}

function register(extra = []) {
  const out = cli(['client', 'add', '--name', '在庫登録', '--redirect-uri', CALLBACK, ...extra]);
  const id = /client ID: (\S+)/.exec(out)[1];
  const secret = /client secret: (\S+)/.exec(out)?.[1];
  return { id, secret };
}

before(async () => {
  data = mkdtempSync(join(tmpdir(), 'autobank-oidc-'));
  env.AUTOBANK_DATA_DIR = data;
  if (process.env.OIDC_DATABASE_URL) env.DATABASE_URL = process.env.OIDC_DATABASE_URL;
  else delete env.DATABASE_URL;
  if (env.DATABASE_URL) env.AUTOBANK_SECRET_KEY = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  cli(['migrate']);
  cli(['user', 'add', 'dealer01', '--name', 'テスト販売店'], `${PASSWORD}\n`);
  server = spawn(bin, ['serve'], {
    env: { ...env, LEPTOS_SITE_ADDR: `127.0.0.1:${port}`, LEPTOS_SITE_ROOT: join(root, 'target', 'site') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${issuer}/healthz`)).ok) return;
    } catch {}
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error('the portal did not start');
});

after(() => {
  server?.kill();
  rmSync(data, { recursive: true, force: true });
});

/** The client's view of the provider: discovery, as a relying party reads it. */
async function configFor({ id, secret }) {
  const config = await oidc.discovery(new URL(issuer), id, undefined, oidc.ClientSecretBasic(secret), {
    execute: [oidc.allowInsecureRequests],
  });
  oidc.enableNonRepudiationChecks(config);
  return config;
}

/** A browser: cookies kept, redirects not followed. */
class Browser {
  constructor() {
    this.jar = new Map();
  }
  keep(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const [name, value] = pair.split('=');
      if (attrs.some((a) => a.trim() === 'Max-Age=0')) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }
  headers(extra = {}) {
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    return { ...(cookie ? { cookie } : {}), ...extra };
  }
  async get(url) {
    return this.keep(await fetch(url, { redirect: 'manual', headers: this.headers({ accept: 'text/html' }) }));
  }
  /** The sign-in form, as the portal's own JavaScript posts it. */
  async signIn(loginId = 'dealer01', password = PASSWORD) {
    const res = await fetch(`${issuer}/api/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: this.headers({ accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }),
      body: new URLSearchParams({ login_id: loginId, password, next: '/menu' }),
    });
    assert.equal(res.status, 200, 'the password is accepted');
    this.keep(res);
    return res.headers.get('location');
  }
}

/** An authorization request of the client's own making. */
async function authorization(config, extra = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const tx = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce() };
  const params = {
    redirect_uri: CALLBACK,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: tx.state,
    nonce: tx.nonce,
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) if (v === undefined) delete params[k];
  return { url: oidc.buildAuthorizationUrl(config, params), tx };
}

async function signedIn() {
  const browser = new Browser();
  await browser.signIn();
  return browser;
}

/** Signs in, authorizes, and returns the callback URL the browser reached. */
async function callback(config, browser, extra = {}) {
  const { url, tx } = await authorization(config, extra);
  const res = await browser.get(url);
  assert.equal(res.status, 303);
  return { to: new URL(res.headers.get('location')), tx };
}

const grant = (config, to, tx, checks = {}) =>
  oidc.authorizationCodeGrant(config, to, {
    pkceCodeVerifier: tx.verifier,
    expectedState: tx.state,
    expectedNonce: tx.nonce,
    idTokenExpected: true,
    ...checks,
  });

test('discovery: code flow only, S256, iss, RS256', async () => {
  const config = await configFor(register());
  const meta = config.serverMetadata();
  assert.equal(meta.issuer, issuer);
  assert.deepEqual(meta.response_types_supported, ['code']);
  assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
  assert.equal(meta.authorization_response_iss_parameter_supported, true);
  assert.ok(meta.id_token_signing_alg_values_supported.includes('RS256'));
});

test('code flow: a signed-in dealer, the ID token (signature, nonce, claims) and userinfo', async () => {
  const rp = register();
  const config = await configFor(rp);
  const { to, tx } = await callback(config, await signedIn());
  const tokens = await grant(config, to, tx);
  const claims = tokens.claims();
  assert.equal(claims.iss, issuer);
  assert.equal(claims.aud, rp.id);
  assert.equal(claims.azp, rp.id);
  assert.match(claims.sub, /^[0-9a-f]{32}$/);
  assert.notEqual(claims.sub, 'dealer01');
  assert.deepEqual(claims.amr, ['pwd']);
  assert.equal(claims.preferred_username, 'dealer01');
  assert.ok(claims.exp - claims.iat <= 300);
  const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.sub, claims.sub);
  assert.equal(info.name, 'テスト販売店');
});

test('nonce: absent from the request, absent from the ID token', async () => {
  const config = await configFor(register());
  const { to, tx } = await callback(config, await signedIn(), { nonce: undefined });
  const tokens = await grant(config, to, tx, { expectedNonce: undefined });
  assert.equal(tokens.claims().nonce, undefined);
});

test('state: echoed, and a client expecting another refuses the response', async () => {
  const config = await configFor(register());
  const { to, tx } = await callback(config, await signedIn());
  assert.equal(to.searchParams.get('state'), tx.state);
  await assert.rejects(grant(config, to, tx, { expectedState: oidc.randomState() }));
});

test('iss: on every response, and a client of another issuer refuses it (mix-up)', async () => {
  const rp = register();
  const config = await configFor(rp);
  const { to, tx } = await callback(config, await signedIn());
  assert.equal(to.searchParams.get('iss'), issuer);
  const other = new oidc.Configuration({ ...config.serverMetadata(), issuer: 'https://other-idp.example' }, rp.id, undefined, oidc.ClientSecretBasic(rp.secret));
  oidc.allowInsecureRequests(other);
  await assert.rejects(grant(other, to, tx), (err) => /"iss"/.test(err.cause?.message ?? err.message));
  // An error response carries it too.
  const { to: refused } = await callback(config, new Browser(), { prompt: 'none' });
  assert.equal(refused.searchParams.get('iss'), issuer);
});

test('a code used twice: refused, and the tokens it gave are revoked', async () => {
  const config = await configFor(register());
  const { to, tx } = await callback(config, await signedIn());
  const tokens = await grant(config, to, tx);
  await assert.rejects(grant(config, to, tx), (err) => err.error === 'invalid_grant', 'the second exchange');
  await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, tokens.claims().sub), (err) => err.status === 401, 'userinfo after the replay');
});

test('redirect URI: anything but the registered one byte for byte is refused on the portal, never redirected', async () => {
  const rp = register();
  const config = await configFor(rp);
  const browser = await signedIn();
  for (const uri of [
    'https://zaiko.example.jp/cb/',
    'https://zaiko.example.jp/c',
    'https://zaiko.example.jp/cb/../cb',
    'HTTPS://zaiko.example.jp/cb',
    'https://Zaiko.example.jp/cb',
    'https://zaiko.example.jp/%63b',
    'https://user@zaiko.example.jp/cb',
    'https://zaiko.example.jp@evil.example/cb',
    'https://zaiko.example.jp:443/cb',
    'https://zaiko.example.jp/cb?x=1',
  ]) {
    const { url } = await authorization(config, { redirect_uri: uri });
    const res = await browser.get(url);
    assert.equal(res.status, 400, uri);
    assert.equal(res.headers.get('location'), null, uri);
  }
});

test('PKCE: a request without it, or with plain, is refused; a wrong verifier gets no tokens', async () => {
  const config = await configFor(register());
  const browser = await signedIn();
  for (const extra of [{ code_challenge: undefined, code_challenge_method: undefined }, { code_challenge_method: 'plain' }]) {
    const { to, tx } = await callback(config, browser, extra);
    assert.equal(to.searchParams.get('code'), null);
    await assert.rejects(grant(config, to, tx), (err) => err.error === 'invalid_request');
  }
  const { to, tx } = await callback(config, browser);
  await assert.rejects(grant(config, to, { ...tx, verifier: oidc.randomPKCECodeVerifier() }), (err) => err.error === 'invalid_grant');
});

test('prompt=none without a session: login_required', async () => {
  const config = await configFor(register());
  const { to, tx } = await callback(config, new Browser(), { prompt: 'none' });
  await assert.rejects(grant(config, to, tx), (err) => err.error === 'login_required');
});

test('prompt=login and max_age: the password again, and auth_time tells when', async () => {
  const config = await configFor(register());
  const browser = await signedIn();
  for (const extra of [{ prompt: 'login' }, { max_age: '1' }]) {
    // Older than max_age: 1 (prompt=login asks whatever the age).
    await new Promise((ok) => setTimeout(ok, 2100));
    const { url, tx } = await authorization(config, extra);
    const res = await browser.get(url);
    assert.equal(res.headers.get('location'), '/login', JSON.stringify(extra));
    const asked = Math.floor(Date.now() / 1000);
    const to = new URL(await browser.signIn());
    const tokens = await grant(config, to, tx, extra.max_age ? { maxAge: 1 } : {});
    assert.ok(tokens.claims().auth_time >= asked - 1, 'a fresh sign-in');
  }
});

test('key rotation: the new key is published first and signs later, so that no client refuses its tokens', async () => {
  const rp = register();
  const config = await configFor(rp);
  const browser = await signedIn();
  const kidOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url')).kid;
  let { to, tx } = await callback(config, browser);
  const old = kidOf((await grant(config, to, tx)).id_token);
  const said = cli(['keys', 'rotate']);
  const fresh = /signing key (\S+), published now/.exec(said)[1];
  // In the JWKS at once, beside the key that still signs.
  const jwks = await (await fetch(`${issuer}/oidc/jwks`)).json();
  assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), [old, fresh].sort());
  // The same client, its JWKS copy fresh (under a minute old, so it would
  // not read it again for an unknown kid): its next sign-in still checks.
  ({ to, tx } = await callback(config, browser));
  assert.equal(kidOf((await grant(config, to, tx)).id_token), old);
});

test('key rotation --now (a leaked key): the new key signs at once, the old one is withdrawn, and a client reading the JWKS afresh finds the new one by kid', async () => {
  const rp = register();
  let config = await configFor(rp);
  const browser = await signedIn();
  let { to, tx } = await callback(config, browser);
  const kidOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url')).kid;
  const before = await grant(config, to, tx);
  const old = kidOf(before.id_token);
  cli(['keys', 'rotate', '--now']);
  // What the old key signed is worth nothing at the portal any more.
  const info = await fetch(`${issuer}/oidc/userinfo`, { headers: { authorization: `Bearer ${before.access_token}` } });
  assert.equal(info.status, 401);
  // A client's JWKS cache is its own (openid-client reads the JWKS again
  // for an unknown kid once its copy is a minute old): a new client here.
  config = await configFor(rp);
  ({ to, tx } = await callback(config, browser));
  const tokens = await grant(config, to, tx);
  assert.notEqual(kidOf(tokens.id_token), old);
  // The old key is out of the JWKS at once.
  const jwks = await (await fetch(`${issuer}/oidc/jwks`)).json();
  assert.deepEqual(jwks.keys.map((k) => k.kid), [kidOf(tokens.id_token)]);
  assert.ok(jwks.keys.every((k) => k.alg === 'RS256' && !('d' in k)));
});

test('a confidential client with a wrong secret: invalid_client', async () => {
  const rp = register();
  const config = await configFor({ ...rp, secret: 'not-the-secret' });
  const { to, tx } = await callback(config, await signedIn());
  // 401 with `WWW-Authenticate: Basic` (RFC 6749 5.2): the library
  // reports the challenge; the body is invalid_client.
  const err = await grant(config, to, tx).then(() => null, (e) => e);
  assert.equal(err?.status, 401);
  assert.equal(err.cause?.[0]?.scheme, 'basic');
  assert.equal((await err.response.json()).error, 'invalid_client');
});

test('refresh: rotated on every use; a used one again ends the family', async () => {
  const config = await configFor(register());
  const { to, tx } = await callback(config, await signedIn());
  const first = await grant(config, to, tx);
  assert.ok(first.refresh_token);
  const second = await oidc.refreshTokenGrant(config, first.refresh_token);
  assert.notEqual(second.refresh_token, first.refresh_token);
  assert.equal(second.claims().sub, first.claims().sub);
  assert.equal(second.claims().auth_time, first.claims().auth_time);
  await assert.rejects(oidc.refreshTokenGrant(config, first.refresh_token), (err) => err.error === 'invalid_grant');
  await assert.rejects(oidc.refreshTokenGrant(config, second.refresh_token), (err) => err.error === 'invalid_grant');
});

test('revocation and introspection (RFC 7009, 7662)', async () => {
  const config = await configFor(register());
  const { to, tx } = await callback(config, await signedIn());
  const tokens = await grant(config, to, tx);
  const seen = await oidc.tokenIntrospection(config, tokens.access_token);
  assert.equal(seen.active, true);
  assert.equal(seen.sub, tokens.claims().sub);
  await oidc.tokenRevocation(config, tokens.refresh_token);
  assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false);
});

test('RP-initiated logout: with the hint, out at once and back to the registered URI with state', async () => {
  const bye = 'https://zaiko.example.jp/bye';
  const config = await configFor(register(['--post-logout-uri', bye]));
  const browser = await signedIn();
  const { to, tx } = await callback(config, browser);
  const tokens = await grant(config, to, tx);
  assert.ok(config.serverMetadata().end_session_endpoint);
  const out = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token, post_logout_redirect_uri: bye, state: 'st-7' });
  const res = await browser.get(out);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `${bye}?state=st-7`);
  // Signed out: the next request needs the password again.
  const { url } = await authorization(config);
  assert.equal((await browser.get(url)).headers.get('location'), '/login');
  // An unregistered URI is never followed.
  const again = await signedIn();
  const evil = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token, post_logout_redirect_uri: 'https://evil.example/' });
  const page = await again.get(evil);
  assert.notEqual(page.headers.get('location'), 'https://evil.example/');
});

/** An application's back-channel logout endpoint: resolves each token it is POSTed. */
async function logoutReceiver() {
  const tokens = [];
  let waiting = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      tokens.push(new URLSearchParams(body).get('logout_token'));
      res.writeHead(200, { 'cache-control': 'no-store' }).end();
      for (const w of waiting) w();
      waiting = [];
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    uri: `http://127.0.0.1:${server.address().port}/backchannel-logout`,
    tokens,
    /** The `n`th token, waiting at most 10 s for it. */
    async nth(n) {
      const until = Date.now() + 10_000;
      while (tokens.length < n && Date.now() < until) {
        await new Promise((ok) => {
          waiting.push(ok);
          setTimeout(ok, 200);
        });
      }
      assert.ok(tokens.length >= n, `${tokens.length} logout tokens, not ${n}`);
      return tokens[n - 1];
    },
    close: () => new Promise((ok) => server.close(ok)),
  };
}

test('Back-Channel Logout: a session that ends is told to the application, in a logout token jose accepts', async () => {
  const receiver = await logoutReceiver();
  try {
    const rp = register(['--backchannel-logout-uri', receiver.uri]);
    const config = await configFor(rp);
    const meta = config.serverMetadata();
    assert.equal(meta.backchannel_logout_supported, true);
    assert.equal(meta.backchannel_logout_session_supported, true);
    const browser = await signedIn();
    const { to, tx } = await callback(config, browser);
    const idClaims = (await grant(config, to, tx)).claims();
    // The dealer signs out on the portal.
    const out = await fetch(`${issuer}/api/logout`, { method: 'POST', redirect: 'manual', headers: browser.headers({ accept: 'application/json', origin: issuer }) });
    assert.ok(out.status < 400, `sign-out: ${out.status}`);
    const token = await receiver.nth(1);
    // Back-Channel Logout 1.0, 2.6, by jose: the signature by the JWKS,
    // iss, aud, typ, iat; then the event, sid, sub, and no nonce.
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(meta.jwks_uri)), {
      issuer,
      audience: rp.id,
      typ: 'logout+jwt',
      maxTokenAge: '2m',
      requiredClaims: ['iat', 'exp', 'jti', 'events', 'sid', 'sub'],
    });
    assert.ok(protectedHeader.kid);
    assert.deepEqual(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
    assert.equal(payload.sid, idClaims.sid);
    assert.equal(payload.sub, idClaims.sub);
    assert.ok(!('nonce' in payload));
    // Once: nothing more comes.
    await new Promise((ok) => setTimeout(ok, 2500));
    assert.equal(receiver.tokens.length, 1);
    assert.equal(decodeJwt(receiver.tokens[0]).jti, payload.jti);
  } finally {
    await receiver.close();
  }
});
