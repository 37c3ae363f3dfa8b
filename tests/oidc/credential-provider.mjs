// A real OAuth authorization server for warrant's credential tests: the
// certified `oidc-provider` (npm), on 127.0.0.1 at a free port, with one
// confidential client that may use the client-credentials grant
// (RFC 6749 §4.4), authenticating with HTTP Basic, its access tokens
// living TTL seconds.
//
//   node credential-provider.mjs CLIENT_ID CLIENT_SECRET TTL
//
// Prints one JSON line {"issuer": "..."} once it listens; serves until
// killed.

import http from 'node:http';
import Provider from 'oidc-provider';

console.log = console.info = (...a) => process.stderr.write(`${a.join(' ')}\n`);

const [clientId, clientSecret, ttl] = process.argv.slice(2);
const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
    },
    scopes: ['intel.read'],
    ttl: { ClientCredentials: Number(ttl) },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
