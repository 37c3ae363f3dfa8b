// A real OpenID provider for the console's login test: the certified
// `oidc-provider` (npm), on 127.0.0.1 at a free port, with one confidential
// client using the authorization code flow (PKCE required) and its
// development login form (any login name, any password: the name becomes
// the `sub`, with a verified email NAME@soc.example).
//
//   node console-provider.mjs CLIENT_ID CLIENT_SECRET REDIRECT_URI
//
// Prints one JSON line {"issuer": "..."} once it listens.

import http from 'node:http';
import Provider from 'oidc-provider';

// stdout carries only the one line the test reads (it then closes the
// pipe); the provider's notices go to stderr.
console.log = console.info = (...a) => process.stderr.write(`${a.join(' ')}\n`);

const [clientId, clientSecret, redirectUri] = process.argv.slice(2);
const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() { return { sub: id, email: `${id}@soc.example`, email_verified: true }; },
      };
    },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
