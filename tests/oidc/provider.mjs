// A real OpenID provider for warrant's tests: the certified `oidc-provider`
// (npm), on 127.0.0.1 at a free port, issuing client-credentials JWT
// access tokens (RFC 9068) with its own signing keys and JWKS.
//
//   node provider.mjs CLIENT_ID CLIENT_SECRET TASK
//
// Prints one JSON line {"issuer": "..."} once it listens; serves until
// killed. The token of CLIENT_ID carries `warrant_task: TASK`, as an
// organisation's authorization server would be configured to add.

import http from 'node:http';
import Provider from 'oidc-provider';

const [clientId, clientSecret, task] = process.argv.slice(2);
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
      token_endpoint_auth_method: 'client_secret_post',
    }],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => ({
          scope: 'tools',
          audience: resourceIndicator,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: () => ({ warrant_task: task }),
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
