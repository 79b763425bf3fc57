// Test-only OpenID Provider for Signoff's Rust integration tests.
//
// Runs the real `oidc-provider` npm package (panva) on 127.0.0.1 with a random
// free port and the in-memory adapter, so tests talk to an independent,
// standards-conforming server rather than to a mock we wrote ourselves.
//
//   node tests/oidc/provider.mjs
//
// When ready it prints exactly one JSON line to stdout:
//   {"issuer":"http://127.0.0.1:<port>","admin":"http://127.0.0.1:<port>/__test"}
// Everything else goes to stderr. It exits when stdin closes (spawn it with a
// piped stdin so it dies with the test) and on SIGTERM/SIGINT.
//
// Static clients (grants authorization_code + refresh_token, redirect_uris
// http://127.0.0.1/callback/<profile id> for the profile ids the tests sign in
// with, REDIRECT_PROFILES below: Signoff gives each provider its own path):
//   signoff-basic / basic-secret  (client_secret_basic)
//   signoff-post  / post-secret   (client_secret_post)
//   signoff-native                (public native client, auth method none;
//                                  PKCE S256 required; the loopback redirect
//                                  URI is accepted with any port, RFC 8252 7.3)
// signoff-native and signoff-basic may also sign in on another device (grant
// urn:ietf:params:oauth:grant-type:device_code, features.deviceFlow, RFC 8628).
// Scopes: openid offline_access profile email. offline_access survives only
// with prompt=consent; then the code exchange also returns a refresh_token.
//
// Interactions (no browser needed; keep cookies, follow 303s by hand; the
// Location to /interaction/... is relative, the one to /auth/<uid> absolute;
// the _interaction cookie has path /interaction/<uid>, _session path /):
//   GET  /auth?...                  -> 303 /interaction/<uid>
//   GET  /interaction/<uid>         -> HTML form; login prompt:
//        <form method="post" action="/interaction/<uid>/login"> login, password
//        consent prompt:
//        <form method="post" action="/interaction/<uid>/confirm"> (no fields)
//   POST /interaction/<uid>/login   (urlencoded login=ada&password=anything)
//        -> 303 /auth/<uid> (resume) -> 303 /interaction/<new uid> (consent)
//   POST /interaction/<uid>/confirm -> 303 /auth/<uid> -> 303 redirect_uri?code=..&state=..
// Any password works; the account id (sub) is the login value, with claims
// email=<login>@example.test, email_verified, name, preferred_username=<login>.
// Device flow (no browser needed; the same cookies as above, _session path /):
//   POST /device/auth (client_id, scope) -> {device_code, user_code,
//        verification_uri (= <issuer>/device), verification_uri_complete, expires_in}
//   GET  /device -> HTML: <form id="op.deviceInputForm" method="post"
//        action="<issuer>/device"> hidden xsrf, text input user_code
//   POST /device (xsrf, user_code) -> HTML confirm page: <form
//        id="op.deviceConfirmForm" ...> hidden xsrf, user_code, confirm=yes; its
//        [ Abort ] button posts xsrf, user_code, abort=yes instead (the device
//        code is then answered access_denied)
//   POST /device (xsrf, user_code, confirm=yes) -> 303 /interaction/<uid>
//        (login, then consent, as above) -> 303 <issuer>/device/<uid>
//        -> 200 "Sign-in Success" page; the next poll gets the tokens.
//   POST /token grant_type=urn:ietf:params:oauth:grant-type:device_code
//        device_code, client_id -> 400 authorization_pending | access_denied |
//        expired_token, or the tokens (with offline_access: a refresh token).
// oidc-provider sends no `interval` (so clients poll every 5 s) and never
// answers slow_down. Test-only knobs, read at start:
//   SIGNOFF_OIDC_DEVICE_INTERVAL=<s>  adds "interval": s to /device/auth answers
//   SIGNOFF_OIDC_DEVICE_SLOW_DOWN=<n> the first n polls of each device code that
//        would be answered authorization_pending are answered slow_down instead
//        (RFC 8628 3.5: 400 {"error":"slow_down"}), as a server does to a client
//        polling too fast
//   SIGNOFF_OIDC_DEVICE_TTL=<s>       device codes expire after s seconds
//        (ttl.DeviceCode; expires_in says so)
// Storage: oidc-provider's in-memory adapter, which keeps the most recent ~1,000
// entries only. With SIGNOFF_OIDC_STORE=unbounded in the environment it keeps
// every token until it expires or is revoked (the benchmarks mint 20,000+).
// With SIGNOFF_OIDC_METADATA=split the metadata is split in two documents:
// /.well-known/openid-configuration without revocation_endpoint and
// introspection_endpoint, and the whole document (same issuer) as RFC 8414
// authorization-server metadata at /.well-known/oauth-authorization-server.
// With SIGNOFF_OIDC_JWKS=wrong the provider publishes at its jwks_uri another
// RSA key under the same kid than the one it signs ID tokens with: every ID
// token's signature then fails to verify (the tokens themselves are real).
// Admin endpoint (test only, no browser needed):
//   GET  /__test/health -> {"ok":true}
//   POST /__test/mint {"client_id":"signoff-basic","sub":"ada"}
//        -> {"refresh_token":"...","access_token":"..."} (real tokens saved
//           through the provider's models; revocable and introspectable)
//   GET  /__test/issued -> [{"access_token":"...","refresh_token":"..."}, ...]
//        what the token endpoint issued for authorization codes, oldest first
//        (to check that tokens of a refused sign-in were revoked)
//   GET  /__test/device-polls -> [{"at": <ms since epoch>, "status": 400,
//        "error": "authorization_pending", "device_code": "..."}, ...]: every
//        device-code poll of the token endpoint, in order, as answered (error
//        null for the tokens); the device code so tests can look for it in places
//        it must never be

import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

// oidc-provider prints its notices with console.info (stdout); stdout is
// reserved for the single ready line, so send all console output to stderr.
console.log = console.info = console.debug = console.error;
const { default: Provider, errors } = await import('oidc-provider');

if (process.env.SIGNOFF_OIDC_STORE === 'unbounded') {
  // The same interface as the adapter's LRU (get, set with maxAge, delete), without a bound.
  const { setStorage } = await import('oidc-provider/lib/adapters/memory_adapter.js');
  const entries = new Map();
  setStorage({
    get(key) {
      const e = entries.get(key);
      if (e && e.expiry !== undefined && e.expiry <= Date.now()) {
        entries.delete(key);
        return undefined;
      }
      return e?.value;
    },
    set(key, value, { maxAge } = {}) {
      const expiry = typeof maxAge === 'number' && Number.isFinite(maxAge) ? Date.now() + maxAge : undefined;
      entries.set(key, { value, expiry });
      return this;
    },
    delete(key) {
      return entries.delete(key);
    },
  });
}

const REDIRECT_PROFILES = ['corp', 'hyperid', 'work'];
const REDIRECT_URIS = REDIRECT_PROFILES.map((id) => `http://127.0.0.1/callback/${id}`);
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const knob = (name) => (process.env[name] ? Number(process.env[name]) : undefined);
const DEVICE_INTERVAL = knob('SIGNOFF_OIDC_DEVICE_INTERVAL');
const DEVICE_SLOW_DOWN = knob('SIGNOFF_OIDC_DEVICE_SLOW_DOWN') ?? 0;
const DEVICE_TTL = knob('SIGNOFF_OIDC_DEVICE_TTL') ?? 600;

const CLIENTS = [
  ['signoff-basic', 'basic-secret', 'client_secret_basic'],
  ['signoff-post', 'post-secret', 'client_secret_post'],
].map(([client_id, client_secret, token_endpoint_auth_method]) => ({
  client_id,
  client_secret,
  token_endpoint_auth_method,
  grant_types: ['authorization_code', 'refresh_token']
    .concat(client_id === 'signoff-basic' ? [DEVICE_GRANT] : []),
  response_types: ['code'],
  redirect_uris: REDIRECT_URIS,
}));
CLIENTS.push({
  client_id: 'signoff-native',
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
  response_types: ['code'],
  // For native clients oidc-provider matches http loopback redirect URIs
  // ignoring the port (RFC 8252 section 7.3), so any port works at runtime;
  // the path must match.
  redirect_uris: REDIRECT_URIS,
});
const MINT_SCOPE = 'openid offline_access';

let handler = (req, res) => { res.writeHead(503).end(); };
const server = createServer((req, res) => handler(req, res));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ format: 'jwk' });

// Any login is an account: sub = login, with a few standard claims.
async function findAccount(ctx, sub) {
  return {
    accountId: sub,
    async claims() {
      return {
        sub,
        email: `${sub}@example.test`,
        email_verified: true,
        name: `Test User ${sub}`,
        preferred_username: sub,
      };
    },
  };
}

const provider = new Provider(issuer, {
  clients: CLIENTS,
  findAccount,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  // Put the granted scope claims (email, name, ...) in the ID token too, not
  // only in the userinfo response.
  conformIdTokenClaims: false,
  interactions: { url: async (ctx, interaction) => `/interaction/${interaction.uid}` },
  // PKCE: oidc-provider v9 supports only S256 and by default requires it for
  // public clients (token_endpoint_auth_method none), i.e. signoff-native.
  jwks: { keys: [{ ...signingKey, kid: 'test-rs256', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: ['signoff-test-cookie-key'] },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  ttl: {
    AccessToken: 3600, IdToken: 3600, Interaction: 3600,
    RefreshToken: 14 * 86400, Grant: 14 * 86400, Session: 14 * 86400,
    DeviceCode: DEVICE_TTL,
  },
  features: {
    devInteractions: { enabled: false }, // replaced by the handlers below
    rpInitiatedLogout: { enabled: true },
    deviceFlow: { enabled: true },
    // Each client may introspect / revoke only the tokens issued to itself.
    introspection: {
      enabled: true,
      allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId,
    },
    revocation: {
      enabled: true,
      allowedPolicy: async (ctx, client, token) => {
        if (token.clientId !== client.clientId) {
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        }
        return true;
      },
    },
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error:', err));

// What the token endpoint issued for authorization codes (GET /__test/issued).
const issued = [];
provider.on('grant.success', (ctx) => {
  if (ctx.oidc.params.grant_type === 'authorization_code' && ctx.body) {
    issued.push({ access_token: ctx.body.access_token, refresh_token: ctx.body.refresh_token });
  }
});

// SIGNOFF_OIDC_JWKS=wrong: another public key under the signing key's kid.
const wrongJwks = process.env.SIGNOFF_OIDC_JWKS === 'wrong'
  ? {
    keys: [{
      ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }),
      kid: 'test-rs256', use: 'sig', alg: 'RS256',
    }],
  }
  : undefined;

// The device-flow knobs and the poll log, on the answers oidc-provider has made.
const devicePolls = [];
const slowDowns = new Map(); // device_code -> slow_down answers given
provider.use(async (ctx, next) => {
  await next();
  const route = ctx.oidc?.route;
  if (route === 'device_authorization' && ctx.status === 200 && DEVICE_INTERVAL !== undefined) {
    ctx.body = { ...ctx.body, interval: DEVICE_INTERVAL };
  }
  if (route !== 'token' || ctx.oidc.params?.grant_type !== DEVICE_GRANT) return;
  const code = String(ctx.oidc.params.device_code);
  const given = slowDowns.get(code) ?? 0;
  if (ctx.status === 400 && ctx.body?.error === 'authorization_pending' && given < DEVICE_SLOW_DOWN) {
    slowDowns.set(code, given + 1);
    ctx.body = { error: 'slow_down', error_description: 'you are polling too quickly' };
  }
  devicePolls.push({
    at: Date.now(), status: ctx.status, error: ctx.body?.error ?? null, device_code: code,
  });
});

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readJson(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return raw ? JSON.parse(raw) : {};
}

// Mint a grant plus a refresh token and an access token for (client, sub),
// exactly as the token endpoint would persist them after a code exchange.
async function mint({ client_id: clientId, sub }) {
  const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
  if (!client) return [404, { error: 'unknown client_id' }];
  if (typeof sub !== 'string' || !sub) return [400, { error: 'sub must be a non-empty string' }];

  const grant = new provider.Grant({ accountId: sub, clientId: client.clientId });
  grant.addOIDCScope(MINT_SCOPE);
  const grantId = await grant.save();
  const common = {
    client, accountId: sub, grantId, gty: 'authorization_code',
  };
  const authTime = Math.floor(Date.now() / 1000);
  const refresh_token = await new provider.RefreshToken({ ...common, scope: MINT_SCOPE, authTime }).save();
  const access_token = await new provider.AccessToken({ ...common, scope: MINT_SCOPE }).save();
  return [200, { refresh_token, access_token }];
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendHtml(res, status, title, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>\n${body}\n</body></html>\n`);
}

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

// GET /interaction/:uid: a plain form for the pending prompt.
async function showInteraction(req, res, uid) {
  const { prompt, params } = await provider.interactionDetails(req, res);
  const action = `/interaction/${encodeURIComponent(uid)}`;
  if (prompt.name === 'login') {
    sendHtml(res, 200, 'Sign in', [
      `<h1>Sign in to ${escapeHtml(params.client_id)}</h1>`,
      `<form method="post" action="${action}/login">`,
      '<input type="text" name="login" autofocus>',
      '<input type="password" name="password">',
      '<button type="submit">Sign in</button>',
      '</form>',
    ].join('\n'));
  } else if (prompt.name === 'consent') {
    sendHtml(res, 200, 'Authorize', [
      `<h1>Authorize ${escapeHtml(params.client_id)}</h1>`,
      `<p>Scope: ${escapeHtml(params.scope ?? '')}</p>`,
      `<form method="post" action="${action}/confirm">`,
      '<button type="submit">Continue</button>',
      '</form>',
    ].join('\n'));
  } else {
    sendHtml(res, 501, 'Unsupported', `<p>unsupported prompt ${escapeHtml(prompt.name)}</p>`);
  }
}

// POST /interaction/:uid/login: any password; the login becomes the sub.
async function submitLogin(req, res) {
  const { prompt } = await provider.interactionDetails(req, res);
  if (prompt.name !== 'login') {
    sendHtml(res, 400, 'Bad request', '<p>not a login prompt</p>');
    return;
  }
  const accountId = (await readForm(req)).get('login')?.trim();
  if (!accountId) {
    sendHtml(res, 400, 'Bad request', '<p>login is required</p>');
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
}

// POST /interaction/:uid/confirm: grant whatever the consent prompt is missing.
async function submitConsent(req, res) {
  await readForm(req); // drain the (empty) body
  const interaction = await provider.interactionDetails(req, res);
  const { prompt: { name, details }, params, session } = interaction;
  if (name !== 'consent' || !session?.accountId) {
    sendHtml(res, 400, 'Bad request', '<p>not a consent prompt</p>');
    return;
  }
  const grant = interaction.grantId
    ? await provider.Grant.find(interaction.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  if (details.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

async function interaction(req, res, pathname) {
  const [, , uid, action, ...rest] = pathname.split('/');
  try {
    if (!uid || rest.length) {
      sendHtml(res, 404, 'Not found', '<p>not found</p>');
    } else if (req.method === 'GET' && action === undefined) {
      await showInteraction(req, res, uid);
    } else if (req.method === 'POST' && action === 'login') {
      await submitLogin(req, res);
    } else if (req.method === 'POST' && action === 'confirm') {
      await submitConsent(req, res);
    } else {
      sendHtml(res, 405, 'Method not allowed', '<p>method not allowed</p>');
    }
  } catch (err) {
    if (err instanceof errors.SessionNotFound) {
      sendHtml(res, 400, 'Session not found', `<p>${escapeHtml(err.error_description || err.message)}</p>`);
    } else {
      console.error('interaction error:', err);
      sendHtml(res, 500, 'Error', `<p>${escapeHtml(err.message || err)}</p>`);
    }
  }
}

const providerCallback = provider.callback();
const OIDC_CONFIGURATION = '/.well-known/openid-configuration';
const INNER = 'x-signoff-inner'; // marks the split layout's own request for the whole document

// SIGNOFF_OIDC_METADATA=split: the provider's own document, served in two parts.
async function splitMetadata(res, pathname) {
  const whole = await (await fetch(`${issuer}${OIDC_CONFIGURATION}`, { headers: { [INNER]: '1' } })).json();
  if (pathname === OIDC_CONFIGURATION) {
    delete whole.revocation_endpoint;
    delete whole.introspection_endpoint;
  }
  send(res, 200, whole);
}

handler = async (req, res) => {
  const { pathname } = new URL(req.url, issuer);
  if (process.env.SIGNOFF_OIDC_METADATA === 'split' && req.method === 'GET' && !req.headers[INNER]
      && (pathname === OIDC_CONFIGURATION || pathname === '/.well-known/oauth-authorization-server')) {
    await splitMetadata(res, pathname);
    return;
  }
  if (wrongJwks && req.method === 'GET' && pathname === '/jwks') {
    send(res, 200, wrongJwks);
    return;
  }
  if (pathname.startsWith('/interaction/')) {
    await interaction(req, res, pathname);
    return;
  }
  if (pathname !== '/__test' && !pathname.startsWith('/__test/')) {
    providerCallback(req, res);
    return;
  }
  try {
    if (req.method === 'GET' && pathname === '/__test/health') {
      send(res, 200, { ok: true });
    } else if (req.method === 'GET' && pathname === '/__test/issued') {
      send(res, 200, issued);
    } else if (req.method === 'GET' && pathname === '/__test/device-polls') {
      send(res, 200, devicePolls);
    } else if (req.method === 'POST' && pathname === '/__test/mint') {
      const [status, body] = await mint(await readJson(req));
      send(res, status, body);
    } else {
      send(res, 404, { error: 'not found' });
    }
  } catch (err) {
    console.error('admin error:', err);
    send(res, err instanceof SyntaxError ? 400 : 500, { error: String(err.message || err) });
  }
};

function shutdown() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.on('close', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();

process.stdout.write(`${JSON.stringify({ issuer, admin: `${issuer}/__test` })}\n`);
