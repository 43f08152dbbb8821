// An independent OpenID Connect provider for schoolcloud's relying-party tests.
//
// Usage: node server.js CONFIG.json
//
// The JSON config:
//   {
//     "port": 0,                        // 0 (or absent): any free port; the issuer follows it
//     "issuer": "http://127.0.0.1:PORT",  // optional; default http://127.0.0.1:<bound port>
//     "clients": [{ "client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris",
//                   ...any further client metadata }],
//     "accounts": { "<login>": { "password": "...", "claims": { "sub": "...", ...any claims } } },
//     "signing_jwk": { RSA private JWK, used for RS256 },
//     "claims": { "<scope>": ["claim", ...] },   // optional: scope -> claims mapping
//     "ttl": { "access_token": 120, "id_token": 300, "refresh_token": 3600, "session": 3600 },
//     "cookie_keys": ["..."]                      // optional
//   }
//
// It prints "READY <issuer>" on stdout when it listens.
//
// Test-only endpoints (not part of OpenID Connect):
//   POST /__test__/tamper  {"mode": "none"|"nonce"|"aud"|"exp"|"signature"|"iss"|"alg_none"}
//        The next token endpoint response that carries an id_token gets it altered in that way
//        (one-shot: the mode falls back to "none" afterwards).
//   GET  /__test__/tamper  -> {"mode": "..."}

import { readFileSync } from 'node:fs';
import http from 'node:http';
import crypto from 'node:crypto';
import process from 'node:process';

import Provider from 'oidc-provider';

const TAMPER_MODES = new Set(['none', 'nonce', 'aud', 'exp', 'signature', 'iss', 'alg_none']);

const STANDARD_SCOPE_CLAIMS = {
  profile: [
    'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username',
    'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};
const STANDARD_CLAIMS = new Set(['sub', ...Object.values(STANDARD_SCOPE_CLAIMS).flat()]);

function fail(message) {
  process.stderr.write(`oidc test provider: ${message}\n`);
  process.exit(2);
}

function loadConfig() {
  const file = process.argv[2];
  if (!file) fail('usage: node server.js CONFIG.json');
  let config;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    fail(`cannot read config ${file}: ${err.message}`);
  }
  if (!config.signing_jwk || config.signing_jwk.kty !== 'RSA' || !config.signing_jwk.d) {
    fail('config.signing_jwk must be a private RSA JWK');
  }
  if (!Array.isArray(config.clients) || config.clients.length === 0) fail('config.clients is empty');
  return config;
}

// --- accounts --------------------------------------------------------------------------------

function buildAccounts(config) {
  const byLogin = new Map();
  const bySub = new Map();
  for (const [login, entry] of Object.entries(config.accounts || {})) {
    const claims = { ...(entry.claims || {}) };
    if (!claims.sub) claims.sub = login;
    const account = { login, password: String(entry.password ?? ''), claims };
    byLogin.set(login, account);
    bySub.set(String(claims.sub), account);
  }
  return { byLogin, bySub };
}

// Scope -> claims. Standard OIDC scopes carry their standard claims; every other claim name found
// in the accounts (roles, school, classes, realm_access, ...) comes with the "openid" scope, so a
// relying party gets it whenever it asks for an ID token (like Keycloak's realm_access).
function buildClaimsConfig(config, accounts) {
  if (config.claims) return config.claims;
  const custom = new Set();
  for (const account of accounts.byLogin.values()) {
    for (const name of Object.keys(account.claims)) {
      if (!STANDARD_CLAIMS.has(name)) custom.add(name);
    }
  }
  return { openid: ['sub', ...custom], ...STANDARD_SCOPE_CLAIMS };
}

// --- id_token tampering ----------------------------------------------------------------------

const b64u = {
  encode: (buf) => Buffer.from(buf).toString('base64url'),
  json: (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url'),
  decodeJson: (text) => JSON.parse(Buffer.from(text, 'base64url').toString('utf8')),
};

function signRS256(header, payload, privateKey) {
  const input = `${b64u.json(header)}.${b64u.json(payload)}`;
  const signature = crypto.sign('sha256', Buffer.from(input), privateKey);
  return `${input}.${b64u.encode(signature)}`;
}

function tamperIdToken(idToken, mode, { privateKey, otherAudience, issuer }) {
  const [h, p, s] = idToken.split('.');
  const header = b64u.decodeJson(h);
  const payload = b64u.decodeJson(p);
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'nonce':
      payload.nonce = `tampered-${crypto.randomBytes(8).toString('hex')}`;
      return signRS256(header, payload, privateKey);
    case 'aud':
      payload.aud = otherAudience;
      delete payload.azp;
      return signRS256(header, payload, privateKey);
    case 'exp':
      payload.iat = now - 7200;
      payload.exp = now - 3600;
      if (payload.auth_time) payload.auth_time = Math.min(payload.auth_time, now - 7200);
      return signRS256(header, payload, privateKey);
    case 'iss':
      payload.iss = `${issuer}/not-the-issuer`;
      return signRS256(header, payload, privateKey);
    case 'signature': {
      const signature = Buffer.from(s, 'base64url');
      signature[0] ^= 0xff;
      signature[signature.length - 1] ^= 0x01;
      return `${h}.${p}.${b64u.encode(signature)}`;
    }
    case 'alg_none':
      return `${b64u.json({ alg: 'none', typ: 'JWT' })}.${p}.`;
    default:
      return idToken;
  }
}

// --- HTML ------------------------------------------------------------------------------------

function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  }[c]));
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>`;
}

function loginPage(uid, { clientId, login = '', error = '' } = {}) {
  const errorHtml = error ? `<p role="alert" class="error">${escapeHtml(error)}</p>\n` : '';
  return page('Sign in to the test identity provider', `${errorHtml}<p>Client: <code>${escapeHtml(clientId)}</code></p>
<form id="login-form" method="post" action="/interaction/${escapeHtml(uid)}" autocomplete="off">
  <label for="login">Login</label>
  <input id="login" name="login" type="text" value="${escapeHtml(login)}" required autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" required>
  <button type="submit">Sign in</button>
</form>
<p><a href="/interaction/${escapeHtml(uid)}/abort">Cancel</a></p>`);
}

async function readBody(req, limit = 64 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// --- provider --------------------------------------------------------------------------------

function buildProvider(issuer, config) {
  const accounts = buildAccounts(config);
  const ttl = config.ttl || {};
  const signingJwk = { alg: 'RS256', use: 'sig', ...config.signing_jwk };
  if (!signingJwk.kid) signingJwk.kid = 'test-key';
  const privateKey = crypto.createPrivateKey({ key: signingJwk, format: 'jwk' });

  const clients = config.clients.map((c) => ({
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: c.client_secret ? 'client_secret_basic' : 'none',
    post_logout_redirect_uris: [],
    ...c,
  }));
  const otherAudience = config.clients.length > 1
    ? config.clients[1].client_id
    : 'another-client-of-this-provider';

  const claims = buildClaimsConfig(config, accounts);
  const scopes = new Set(['openid', 'offline_access', ...Object.keys(claims)]);

  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [signingJwk] },
    cookies: {
      keys: config.cookie_keys || [crypto.randomBytes(32).toString('hex')],
      // SameSite=None cookies need Secure, which a browser drops over http: use Lax.
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    claims,
    scopes: [...scopes],
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: {
      methods: ['S256'],
      required: () => true,
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = page('Sign out', `${form}
<p>Do you want to sign out of the test identity provider?</p>
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Signed out', '<p>You are signed out.</p>');
        },
      },
      revocation: { enabled: true },
      introspection: { enabled: true },
      userinfo: { enabled: true },
    },
    // Refresh tokens for every code grant of a client allowed the refresh_token grant, with or
    // without the offline_access scope.
    async issueRefreshToken(ctx, client) {
      return client.grantTypeAllowed('refresh_token');
    },
    async findAccount(ctx, sub) {
      const account = accounts.bySub.get(String(sub));
      if (!account) return undefined;
      return {
        accountId: String(account.claims.sub),
        async claims() {
          return structuredClone(account.claims);
        },
      };
    },
    ttl: {
      AccessToken: ttl.access_token ?? 120,
      AuthorizationCode: ttl.authorization_code ?? 60,
      IdToken: ttl.id_token ?? 300,
      RefreshToken: ttl.refresh_token ?? 3600,
      Interaction: ttl.interaction ?? 600,
      Session: ttl.session ?? 3600,
      Grant: ttl.grant ?? 3600,
    },
    clientBasedCORS: () => true,
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Error', `<p class="error-code">${escapeHtml(out.error)}</p>
<p class="error-description">${escapeHtml(out.error_description)}</p>`);
    },
  });
  provider.proxy = false;

  let tamperMode = 'none';

  // Test-only admin endpoint, and the interception of token responses.
  provider.use(async (ctx, next) => {
    if (ctx.path === '/__test__/tamper') {
      if (ctx.method === 'GET') {
        ctx.body = { mode: tamperMode };
        return undefined;
      }
      if (ctx.method === 'POST') {
        let mode;
        try {
          const raw = await readBody(ctx.req);
          mode = ctx.is('application/json') ? JSON.parse(raw).mode : new URLSearchParams(raw).get('mode');
        } catch (err) {
          ctx.status = 400;
          ctx.body = { error: `bad request: ${err.message}` };
          return undefined;
        }
        if (!TAMPER_MODES.has(mode)) {
          ctx.status = 400;
          ctx.body = { error: `unknown tamper mode ${mode}`, modes: [...TAMPER_MODES] };
          return undefined;
        }
        tamperMode = mode;
        ctx.body = { mode: tamperMode };
        return undefined;
      }
      ctx.status = 405;
      return undefined;
    }

    await next();

    if (ctx.path === '/token' && ctx.method === 'POST' && ctx.status === 200
        && ctx.body && typeof ctx.body === 'object' && ctx.body.id_token && tamperMode !== 'none') {
      const mode = tamperMode;
      tamperMode = 'none';
      ctx.body = {
        ...ctx.body,
        id_token: tamperIdToken(ctx.body.id_token, mode, { privateKey, otherAudience, issuer }),
      };
    }
    return undefined;
  });

  // The login and consent interaction.
  provider.use(async (ctx, next) => {
    const match = /^\/interaction\/([^/]+)(\/abort)?$/.exec(ctx.path);
    if (!match) return next();
    const [, uid, abort] = match;
    ctx.set('cache-control', 'no-store');

    let details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      ctx.status = err.statusCode || err.status || 500;
      ctx.type = 'html';
      ctx.body = page('Error', `<p class="error-code">${escapeHtml(err.error || err.name)}</p>
<p class="error-description">${escapeHtml(err.error_description || err.message)}</p>`);
      return undefined;
    }
    if (details.uid !== uid) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = page('Error', '<p>Interaction mismatch.</p>');
      return undefined;
    }
    const { prompt, params } = details;

    if (abort) {
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
        error: 'access_denied', error_description: 'End-User aborted interaction',
      }, { mergeWithLastSubmission: false });
      ctx.redirect(returnTo);
      ctx.status = 303;
      return undefined;
    }

    const finish = async (result) => {
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
        mergeWithLastSubmission: true,
      });
      ctx.redirect(returnTo);
      ctx.status = 303;
    };

    if (prompt.name === 'consent') {
      // Consent is granted for whatever was asked: scopes, claims and resource scopes.
      let grant;
      if (details.grantId) {
        grant = await provider.Grant.find(details.grantId);
      } else {
        grant = new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      }
      const d = prompt.details;
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
      if (d.missingResourceScopes) {
        for (const [indicator, scope] of Object.entries(d.missingResourceScopes)) {
          grant.addResourceScope(indicator, scope.join(' '));
        }
      }
      const grantId = await grant.save();
      await finish({ consent: details.grantId ? {} : { grantId } });
      return undefined;
    }

    if (prompt.name !== 'login') {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = page('Error', `<p>Unsupported prompt ${escapeHtml(prompt.name)}.</p>`);
      return undefined;
    }

    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = loginPage(uid, { clientId: params.client_id, login: params.login_hint });
      return undefined;
    }
    if (ctx.method !== 'POST') {
      ctx.status = 405;
      return undefined;
    }

    const form = new URLSearchParams(await readBody(ctx.req));
    const login = form.get('login') || '';
    const password = form.get('password') || '';
    const account = accounts.byLogin.get(login);
    const expected = Buffer.from(account ? account.password : crypto.randomBytes(16).toString('hex'));
    const given = Buffer.from(password);
    const ok = account && expected.length === given.length && crypto.timingSafeEqual(expected, given);
    if (!ok) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage(uid, { clientId: params.client_id, login, error: 'Invalid login or password.' });
      return undefined;
    }
    await finish({ login: { accountId: String(account.claims.sub), amr: ['pwd'] } });
    return undefined;
  });

  provider.on('server_error', (ctx, err) => {
    process.stderr.write(`server_error ${ctx.method} ${ctx.path}: ${err.stack || err}\n`);
  });

  return provider;
}

// --- main ------------------------------------------------------------------------------------

const config = loadConfig();
const server = http.createServer();
server.on('error', (err) => fail(`cannot listen: ${err.message}`));
server.listen(Number(config.port || 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = config.issuer || `http://127.0.0.1:${port}`;
  let provider;
  try {
    provider = buildProvider(issuer, config);
  } catch (err) {
    fail(`cannot configure the provider: ${err.stack || err}`);
  }
  server.on('request', provider.callback());
  process.stdout.write(`READY ${issuer}\n`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
