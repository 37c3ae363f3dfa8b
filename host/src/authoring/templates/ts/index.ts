// {{id}}: look an indicator up in a threat-intel API.
//
// Build: ./build.sh — test: warrant test — try: warrant dev call lookup --input '{"indicator":"203.0.113.7"}'
import { InvalidInput, ToolError, env, log, plugin, s, tool } from './warrant-sdk/index.js';

/** The API asked when the operator sets no INTEL_API. */
const DEFAULT_API = 'https://intel.example.com';

const lookup = tool({
  name: 'lookup',
  description:
    'Look an indicator (IP address, domain or hash) up in the threat-intel API; found is false when the API does not know it',
  impact: 'read',
  input: s.object({
    indicator: s.string({ description: 'An IP address, domain or hash, 1-256 characters', maxLength: 256 }),
  }),
  async run({ indicator }) {
    indicator = indicator.trim();
    if (!/^[A-Za-z0-9.:_-]{1,256}$/.test(indicator)) {
      throw new InvalidInput('`indicator` must be 1-256 letters, digits or . : _ -');
    }
    const api = (env('INTEL_API') ?? DEFAULT_API).replace(/\/+$/, '');
    log.info(`looking up ${indicator}`);
    let r: Response;
    try {
      r = await fetch(`${api}/v1/indicators/${indicator}`, { headers: { accept: 'application/json' } });
    } catch (e) {
      // A request the host refuses (an origin outside the grant) lands here.
      throw new ToolError(`GET ${api}: ${(e as Error).message}`);
    }
    if (r.status === 404) return { found: false };
    if (r.status !== 200) throw new ToolError(`the intel API answered ${r.status}`);
    const answer = (await r.json()) as { verdict?: string; score?: number };
    return { found: true, verdict: answer.verdict, score: answer.score };
  },
});

export const { tools, call } = plugin(lookup);
