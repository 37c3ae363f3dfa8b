// advisory-lookup: what does a vulnerability advisory mean for our assets?
//
// A warrant example plugin in TypeScript (warrant-sdk + jco/componentize-js).
// The tool asks the threat-intel API for an advisory (the http grant) and
// matches its affected versions against the asset inventory in the granted
// directory /inventory.
import { InvalidInput, ToolError, env, fs, log, plugin, s, tool } from './warrant-sdk/index.js';

/** The intel API asked when the operator sets no INTEL_API. */
const DEFAULT_API = 'http://127.0.0.1:8788';
const INVENTORY = '/inventory/assets.json';

interface Affected {
  product: string;
  introduced?: string;
  fixed?: string;
}

interface Advisory {
  id: string;
  title: string;
  severity: string;
  cvss?: number;
  affected: Affected[];
  exploited?: boolean;
  published?: string;
}

interface Asset {
  host: string;
  product: string;
  version: string;
  owner?: string;
  exposed?: boolean;
}

/** Compare two versions such as `9.6p1` and `9.9p2`, part by part. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[^0-9A-Za-z]+|(?<=\d)(?=[A-Za-z])|(?<=[A-Za-z])(?=\d)/).filter(Boolean);
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const nx = Number(x);
    const ny = Number(y);
    const c = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x.localeCompare(y);
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}

function hits(asset: Asset, a: Affected): boolean {
  if (asset.product.toLowerCase() !== a.product.toLowerCase()) return false;
  if (a.introduced && compareVersions(asset.version, a.introduced) < 0) return false;
  if (a.fixed && compareVersions(asset.version, a.fixed) >= 0) return false;
  return true;
}

function inventory(): Asset[] {
  const text = fs.readText(INVENTORY);
  let parsed: { assets?: Asset[] };
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ToolError(`${INVENTORY} is not JSON: ${(e as Error).message}`);
  }
  return (parsed.assets ?? []).filter((a) => typeof a.host === 'string' && typeof a.version === 'string');
}

const lookup = tool({
  name: 'lookup',
  description:
    'Look a vulnerability (CVE id) up in the threat-intel API and list the assets in the inventory it affects: severity, CVSS, whether it is exploited in the wild, and for each affected asset its host, version, owner and exposure; found is false when the API does not know the id.',
  impact: 'read',
  input: s.object({
    cve: s.string({ description: 'A CVE id, e.g. CVE-2026-31337', pattern: '^CVE-\\d{4}-\\d{4,7}$' }),
    exposed_only: s.optional(s.boolean({ description: 'Only assets reachable from outside (default false)' })),
  }),
  async run({ cve, exposed_only }) {
    if (!/^CVE-\d{4}-\d{4,7}$/.test(cve)) throw new InvalidInput('`cve` must look like CVE-2026-31337');
    const api = (env('INTEL_API') ?? DEFAULT_API).replace(/\/+$/, '');
    log.info(`looking up ${cve}`);
    let r: Response;
    try {
      r = await fetch(`${api}/v1/advisories/${cve}`, { headers: { accept: 'application/json' } });
    } catch (e) {
      throw new ToolError(`GET ${api}/v1/advisories/${cve}: ${(e as Error).message} (refused by the host, or unreachable)`);
    }
    if (r.status === 404) return { cve, found: false };
    if (r.status !== 200) throw new ToolError(`the intel API answered ${r.status}`);
    const adv = (await r.json()) as Advisory;
    const affected = inventory()
      .filter((asset) => adv.affected.some((a) => hits(asset, a)))
      .filter((asset) => !exposed_only || asset.exposed === true)
      .map((a) => ({ host: a.host, version: a.version, owner: a.owner ?? null, exposed: a.exposed ?? false }));
    return {
      cve,
      found: true,
      title: adv.title,
      severity: adv.severity,
      cvss: adv.cvss ?? null,
      exploited: adv.exploited ?? false,
      fixed_in: adv.affected.map((a) => `${a.product} ${a.fixed ?? '(no fix yet)'}`),
      affected_assets: affected,
      urgent: (adv.exploited ?? false) && affected.some((a) => a.exposed),
    };
  },
});

export const { tools, call } = plugin(lookup);
