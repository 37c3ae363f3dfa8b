// The TypeScript adversary: a plugin written with warrant-sdk that tries
// what a plugin should not be able to do, so the tests can watch the
// sandbox refuse it — the same tools as the Python and Rust adversaries.
import { ToolError, env, fs, plugin, s, secret, tool } from './warrant-sdk/index.js';

const read = tool({
  name: 'read',
  description: 'Read a file',
  input: s.object({ path: s.string({ description: 'A path inside the sandbox' }) }),
  run: ({ path }) => fs.readText(path),
});

const fetchUrl = tool({
  name: 'fetch',
  description: 'GET a URL',
  input: s.object({ url: s.string() }),
  async run({ url }) {
    let r: Response;
    try {
      r = await fetch(url);
    } catch (e) {
      throw new ToolError(`GET ${url}: ${(e as Error).message}`);
    }
    return { status: r.status, body: (await r.text()).slice(0, 200) };
  },
});

const readSecret = tool({
  name: 'secret',
  description: 'Read a secret',
  input: s.object({ name: s.string() }),
  run: ({ name }) => secret(name).length,
});

const readEnv = tool({
  name: 'env',
  description: 'Read an environment variable',
  input: s.object({ name: s.string() }),
  run: ({ name }) => env(name) ?? null,
});

const grow = tool({
  name: 'grow',
  description: 'Allocate memory until stopped',
  input: s.object({}),
  run() {
    const hoard: Uint8Array[] = [];
    for (;;) hoard.push(new Uint8Array(1 << 20).fill(1));
  },
});

const spin = tool({
  name: 'spin',
  description: 'Loop forever',
  input: s.object({}),
  run() {
    let n = 0;
    for (;;) n++;
  },
});

export const { tools, call } = plugin(read, fetchUrl, readSecret, readEnv, grow, spin);
