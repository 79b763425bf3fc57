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
// Static clients (grants authorization_code + refresh_token,
// redirect_uri http://127.0.0.1/callback):
//   signoff-basic / basic-secret  (client_secret_basic)
//   signoff-post  / post-secret   (client_secret_post)
// Admin endpoint (test only, no browser needed):
//   GET  /__test/health -> {"ok":true}
//   POST /__test/mint {"client_id":"signoff-basic","sub":"ada"}
//        -> {"refresh_token":"...","access_token":"..."} (real tokens saved
//           through the provider's models; revocable and introspectable)

import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

// oidc-provider prints its notices with console.info (stdout); stdout is
// reserved for the single ready line, so send all console output to stderr.
console.log = console.info = console.debug = console.error;
const { default: Provider, errors } = await import('oidc-provider');

const CLIENTS = [
  ['signoff-basic', 'basic-secret', 'client_secret_basic'],
  ['signoff-post', 'post-secret', 'client_secret_post'],
].map(([client_id, client_secret, token_endpoint_auth_method]) => ({
  client_id,
  client_secret,
  token_endpoint_auth_method,
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: ['http://127.0.0.1/callback'],
}));
const MINT_SCOPE = 'openid offline_access';

let handler = (req, res) => { res.writeHead(503).end(); };
const server = createServer((req, res) => handler(req, res));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients: CLIENTS,
  jwks: { keys: [{ ...signingKey, kid: 'test-rs256', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: ['signoff-test-cookie-key'] },
  scopes: ['openid', 'offline_access'],
  ttl: {
    AccessToken: 3600, IdToken: 3600, Interaction: 3600,
    RefreshToken: 14 * 86400, Grant: 14 * 86400, Session: 14 * 86400,
  },
  features: {
    devInteractions: { enabled: true }, // any login/password works in a browser flow
    rpInitiatedLogout: { enabled: true },
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

const providerCallback = provider.callback();
handler = async (req, res) => {
  const { pathname } = new URL(req.url, issuer);
  if (pathname !== '/__test' && !pathname.startsWith('/__test/')) {
    providerCallback(req, res);
    return;
  }
  try {
    if (req.method === 'GET' && pathname === '/__test/health') {
      send(res, 200, { ok: true });
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
