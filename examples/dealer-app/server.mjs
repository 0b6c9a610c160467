// A business application that signs dealers in through the autoBank portal
// with OpenID Connect, the way a real application team would: Node's
// `openid-client` (OpenID Certified), the authorization code flow with
// PKCE, a nonce and a state, and every ID token's signature checked
// against the portal's JWKS. It shows who signed in and how (`amr`), and
// honours Back-Channel Logout: when the portal session ends (sign-out,
// the helpdesk, a time limit...), the portal POSTs a logout token to
// /backchannel-logout, checked here with `jose`, and every session of
// this application that the portal session made ends at once.
//
//   ISSUER=http://127.0.0.1:3000 CLIENT_ID=... CLIENT_SECRET=... \
//   PORT=3001 node server.mjs
//
// The tests start it in-process with `start()`.
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';

const SESSION_COOKIE = 'dealer_app_session';

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page(title, body) {
  return `<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title>
<style>body{font-family:sans-serif;margin:2rem;max-width:40rem}dt{font-weight:bold}</style></head>
<body><h1>${escape(title)}</h1>${body}</body></html>`;
}

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k) out[k] = v.join('=');
  }
  return out;
}

const BACKCHANNEL_LOGOUT = 'http://schemas.openid.net/event/backchannel-logout';

/** The body of a POST, as form fields (at most 64 KiB). */
function form(req) {
  return new Promise((ok, fail) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 65536) fail(new Error('body too large'));
    });
    req.on('end', () => ok(new URLSearchParams(body)));
    req.on('error', fail);
  });
}

/**
 * Starts the application. `issuer`: the portal; `clientId`, `clientSecret`:
 * its registration (`autobank client add`); `port`: 0 for any.
 * Resolves to `{ url, close, sessions }`.
 */
export async function start({ issuer, clientId, clientSecret, port = 0, host = '127.0.0.1', title = '在庫登録（デモ）' }) {
  const insecure = new URL(issuer).protocol === 'http:';
  const config = await oidc.discovery(
    new URL(issuer),
    clientId,
    undefined,
    oidc.ClientSecretBasic(clientSecret),
    insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
  );
  // Check every ID token's signature against the JWKS (by default the
  // library trusts a token that came straight from the token endpoint).
  oidc.enableNonRepudiationChecks(config);
  const metadata = config.serverMetadata();
  const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
  /** Logout tokens already honoured (their `jti`), so that one replayed is refused. */
  const seenLogouts = new Set();

  /**
   * Checks a logout token as Back-Channel Logout 1.0, 2.6 asks: signed by
   * the portal, for this client, fresh, of type logout+jwt, carrying the
   * back-channel logout event and a `sid` or `sub`, and no `nonce`.
   */
  async function logoutClaims(token) {
    const { payload } = await jwtVerify(token, jwks, {
      issuer: metadata.issuer,
      audience: clientId,
      typ: 'logout+jwt',
      maxTokenAge: '5m',
      requiredClaims: ['iat', 'jti', 'events'],
    });
    if (typeof payload.events?.[BACKCHANNEL_LOGOUT] !== 'object') throw new Error('not a logout token');
    if (!payload.sid && !payload.sub) throw new Error('neither sid nor sub');
    if ('nonce' in payload) throw new Error('a nonce in a logout token');
    if (seenLogouts.has(payload.jti)) throw new Error('a logout token replayed');
    seenLogouts.add(payload.jti);
    return payload;
  }

  /** Signed-in browsers: session ID -> what the portal said. */
  const sessions = new Map();
  /** The logout tokens honoured, their claims, in order. */
  const logouts = [];
  /** Sign-ins under way: transaction ID -> { state, nonce, verifier }. */
  const pending = new Map();
  let base = '';

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, base);
    const jar = cookies(req);
    const send = (status, html, headers = {}) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
      res.end(html);
    };
    try {
      if (req.method === 'GET' && url.pathname === '/') {
        const who = sessions.get(jar[SESSION_COOKIE]);
        if (!who) {
          return send(200, page(title, `<p>ログインしていません。</p><p><a href="/login">ポータルでログイン</a></p>`));
        }
        return send(200, page(title, `<p id="signed-in">ログイン中の販売店: ${escape(who.name ?? who.sub)}</p>
<dl><dt>ログインID</dt><dd id="login-id">${escape(who.preferred_username ?? '')}</dd>
<dt>sub</dt><dd id="sub">${escape(who.sub)}</dd>
<dt>amr</dt><dd id="amr">${escape((who.amr ?? []).join(' '))}</dd>
<dt>acr</dt><dd id="acr">${escape(who.acr ?? '')}</dd></dl>
<form method="post" action="/logout"><button type="submit">ログアウト</button></form>`));
      }
      if (req.method === 'GET' && url.pathname === '/login') {
        const verifier = oidc.randomPKCECodeVerifier();
        const tx = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier };
        const id = randomBytes(16).toString('hex');
        pending.set(id, tx);
        const to = oidc.buildAuthorizationUrl(config, {
          redirect_uri: `${base}/cb`,
          scope: 'openid profile',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state: tx.state,
          nonce: tx.nonce,
        });
        res.writeHead(303, { location: to.href, 'set-cookie': `tx=${id}; Path=/; HttpOnly; SameSite=Lax` });
        return res.end();
      }
      if (req.method === 'GET' && url.pathname === '/cb') {
        const tx = pending.get(jar.tx);
        pending.delete(jar.tx);
        if (!tx) return send(400, page(title, '<p role="alert">ログインをやり直してください。</p><p><a href="/login">ポータルでログイン</a></p>'));
        const tokens = await oidc.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: tx.verifier,
          expectedState: tx.state,
          expectedNonce: tx.nonce,
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        const id = randomBytes(16).toString('hex');
        sessions.set(id, { ...claims, ...info, sid: claims.sid, idToken: tokens.id_token });
        res.writeHead(303, { location: '/', 'set-cookie': `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax` });
        return res.end();
      }
      if (req.method === 'POST' && url.pathname === '/backchannel-logout') {
        // From the portal's server, not a browser (Back-Channel Logout 1.0, 2.8).
        const json = (status, body) => {
          res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(JSON.stringify(body));
        };
        let claims;
        try {
          claims = await logoutClaims((await form(req)).get('logout_token') ?? '');
        } catch (err) {
          return json(400, { error: 'invalid_request', error_description: String(err.code ?? err.message) });
        }
        for (const [id, who] of sessions) {
          const same = claims.sid ? who.sid === claims.sid : who.sub === claims.sub;
          if (same) sessions.delete(id);
        }
        logouts.push(claims);
        return json(200, {});
      }
      if (req.method === 'POST' && url.pathname === '/logout') {
        // Out of this application, then out of the portal (RP-initiated
        // logout), which sends the browser back here.
        const who = sessions.get(jar[SESSION_COOKIE]);
        sessions.delete(jar[SESSION_COOKIE]);
        const to = who
          ? oidc.buildEndSessionUrl(config, { id_token_hint: who.idToken, post_logout_redirect_uri: `${base}/` }).href
          : '/';
        res.writeHead(303, { location: to, 'set-cookie': `${SESSION_COOKIE}=; Path=/; Max-Age=0` });
        return res.end();
      }
      send(404, page(title, '<p>ページが見つかりません。</p>'));
    } catch (err) {
      // The library's refusal (a wrong iss, state or signature...) is shown, never a stack.
      send(400, page(title, `<p role="alert">ログインできませんでした: ${escape(err.code ?? '')} ${escape(err.error ?? err.message)}</p>`));
    }
  });
  await new Promise((ok) => server.listen(port, host, ok));
  base = `http://${host}:${server.address().port}`;
  return {
    url: base,
    backchannelLogoutUri: `${base}/backchannel-logout`,
    sessions,
    logouts,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const need = (name) => {
    const v = process.env[name];
    if (!v) {
      console.error(`${name} is not set`);
      process.exit(2);
    }
    return v;
  };
  const app = await start({
    issuer: need('ISSUER'),
    clientId: need('CLIENT_ID'),
    clientSecret: need('CLIENT_SECRET'),
    port: Number(process.env.PORT ?? 3001),
  });
  console.log(`dealer app: ${app.url} (back-channel logout: ${app.backchannelLogoutUri})`);
}
