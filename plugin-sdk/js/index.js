// warrant-sdk for JavaScript and TypeScript: write a warrant tool as a plain
// function. Built into a component by jco + componentize-js (see the
// project's build.mjs from `warrant new --lang ts`).
//
//   import { plugin, tool, s, log } from './warrant-sdk/index.js';
//
//   const count = tool({
//     name: 'word-count',
//     description: 'Count the words in a text',
//     impact: 'read',
//     input: s.object({ text: s.string({ description: 'Text to count words in' }) }),
//     run({ text }) {
//       log.info('counting words');
//       return { words: text.split(/\s+/).filter(Boolean).length };
//     },
//   });
//
//   export const { tools, call } = plugin(count);
//
// What a tool can reach is what its manifest grants: `fetch` to granted
// origins (checked by the host on every request), files under granted
// directories (`fs`), variables the operator sets (`env`), secrets
// (`secret`). Everything else fails as if it did not exist.

import { log as hostLog, secret as hostSecret } from 'warrant:plugin/host@0.1.0';
import { getEnvironment } from 'wasi:cli/environment@0.2.12';
import { getDirectories } from 'wasi:filesystem/preopens@0.2.12';

/** The tool ran and could not do its job (`failed` in the audit chain). */
export class ToolError extends Error {}

/** The input made no sense (`invalid-input` in the audit chain). */
export class InvalidInput extends ToolError {}

/** Lines in the host's log, attributed to this plugin and call. */
export const log = {
  debug: (m) => hostLog('debug', String(m)),
  info: (m) => hostLog('info', String(m)),
  warn: (m) => hostLog('warn', String(m)),
  error: (m) => hostLog('error', String(m)),
};

/** A secret the manifest grants, by name; throws ToolError if it is not. */
export function secret(name) {
  try {
    return hostSecret(name);
  } catch (e) {
    throw new ToolError(`secret \`${name}\`: ${e.payload ?? e.message ?? e}`);
  }
}

/** An environment variable the manifest grants (the operator sets the
 * value), or undefined. */
export function env(name) {
  for (const [k, v] of getEnvironment()) {
    if (k === name) return v;
  }
  return undefined;
}

function fsError(e, what, path) {
  const code = e && typeof e.payload === 'string' ? e.payload : (e && e.message) || String(e);
  return new ToolError(`cannot ${what} ${path}: ${code}`);
}

/** The granted directory holding `path`, and the path relative to it. */
function locate(path) {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new ToolError(`${path} is not an absolute path`);
  }
  let best;
  for (const [dir, guest] of getDirectories()) {
    const root = guest.endsWith('/') ? guest : guest + '/';
    if ((path === guest || path.startsWith(root)) && (!best || guest.length > best[1].length)) {
      best = [dir, guest];
    }
  }
  if (!best) {
    throw new ToolError(`cannot open ${path}: no granted directory contains it`);
  }
  const rel = path.slice(best[1].length).replace(/^\/+/, '') || '.';
  return [best[0], rel];
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Files under the directories the manifest grants, by their guest paths
 * (e.g. `/inventory/assets.json`). */
export const fs = {
  /** The bytes of a file. */
  readFile(path) {
    const [dir, rel] = locate(path);
    let file;
    try {
      file = dir.openAt({ symlinkFollow: false }, rel, {}, { read: true });
    } catch (e) {
      throw fsError(e, 'open', path);
    }
    const parts = [];
    let offset = 0n;
    try {
      for (;;) {
        const [chunk, end] = file.read(65536n, offset);
        parts.push(chunk);
        offset += BigInt(chunk.length);
        if (end || chunk.length === 0) break;
      }
    } catch (e) {
      throw fsError(e, 'read', path);
    }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  },
  /** A file as UTF-8 text. */
  readText(path) {
    return decoder.decode(fs.readFile(path));
  },
  /** The names in a directory. */
  readDir(path) {
    const [dir, rel] = locate(path);
    try {
      const d = rel === '.' ? dir : dir.openAt({}, rel, { directory: true }, { read: true });
      const entries = d.readDirectory();
      const names = [];
      for (let e = entries.readDirectoryEntry(); e; e = entries.readDirectoryEntry()) {
        names.push(e.name);
      }
      return names.sort();
    } catch (e) {
      throw fsError(e, 'list', path);
    }
  },
  /** Write a file (created or replaced); needs a read-write grant. */
  writeText(path, text) {
    const [dir, rel] = locate(path);
    try {
      const file = dir.openAt({}, rel, { create: true, truncate: true }, { write: true });
      file.write(encoder.encode(String(text)), 0n);
    } catch (e) {
      throw fsError(e, 'write', path);
    }
  },
};

// --- Input schemas: JSON Schema that also checks the input --------------

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return { string: 'a string', number: 'a number', boolean: 'a boolean', object: 'an object' }[typeof v] ?? typeof v;
}

function base(json, check) {
  return { json, check, optional: false };
}

function withOpts(json, o = {}) {
  const out = { ...json };
  for (const k of ['description', 'default', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'minItems', 'maxItems']) {
    if (o[k] !== undefined) out[k] = o[k];
  }
  return out;
}

/** Schema builders: each gives the JSON Schema agents see and checks the
 * input before the tool runs. */
export const s = {
  string(o = {}) {
    const re = o.pattern ? new RegExp(o.pattern) : undefined;
    return base(withOpts({ type: 'string' }, o), (v, at) => {
      if (typeof v !== 'string') return `${at}: expected a string, got ${describe(v)}`;
      if (o.minLength !== undefined && v.length < o.minLength) return `${at}: shorter than ${o.minLength} characters`;
      if (o.maxLength !== undefined && v.length > o.maxLength) return `${at}: longer than ${o.maxLength} characters`;
      if (re && !re.test(v)) return `${at}: does not match ${o.pattern}`;
    });
  },
  number(o = {}) {
    return base(withOpts({ type: 'number' }, o), (v, at) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) return `${at}: expected a number, got ${describe(v)}`;
      if (o.minimum !== undefined && v < o.minimum) return `${at}: below ${o.minimum}`;
      if (o.maximum !== undefined && v > o.maximum) return `${at}: above ${o.maximum}`;
    });
  },
  integer(o = {}) {
    const n = s.number(o);
    return base(withOpts({ type: 'integer' }, o), (v, at) =>
      Number.isInteger(v) ? n.check(v, at) : `${at}: expected an integer, got ${describe(v)}`);
  },
  boolean(o = {}) {
    return base(withOpts({ type: 'boolean' }, o), (v, at) =>
      typeof v === 'boolean' ? undefined : `${at}: expected a boolean, got ${describe(v)}`);
  },
  enum(values, o = {}) {
    return base(withOpts({ enum: [...values] }, o), (v, at) =>
      values.includes(v) ? undefined : `${at}: must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
  },
  array(item, o = {}) {
    return base(withOpts({ type: 'array', items: item.json }, o), (v, at) => {
      if (!Array.isArray(v)) return `${at}: expected an array, got ${describe(v)}`;
      if (o.minItems !== undefined && v.length < o.minItems) return `${at}: fewer than ${o.minItems} items`;
      if (o.maxItems !== undefined && v.length > o.maxItems) return `${at}: more than ${o.maxItems} items`;
      for (let i = 0; i < v.length; i++) {
        const err = item.check(v[i], `${at}[${i}]`);
        if (err) return err;
      }
    });
  },
  object(props, o = {}) {
    const properties = {};
    const required = [];
    for (const [k, p] of Object.entries(props)) {
      properties[k] = p.json;
      if (!p.optional) required.push(k);
    }
    const json = withOpts({ type: 'object', properties, additionalProperties: false }, o);
    if (required.length) json.required = required;
    return base(json, (v, at) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return `${at}: expected an object, got ${describe(v)}`;
      for (const k of Object.keys(v)) {
        if (!(k in props)) return `${at}: unknown field ${JSON.stringify(k)}`;
      }
      for (const [k, p] of Object.entries(props)) {
        if (v[k] === undefined || (p.optional && v[k] === null)) {
          if (!p.optional) return `${at}: missing required field ${JSON.stringify(k)}`;
          continue;
        }
        const err = p.check(v[k], `${at}.${k}`);
        if (err) return err;
      }
    });
  },
  /** A field that may be left out (or null). */
  optional(schema) {
    return { ...schema, optional: true };
  },
};

// --- Tools and the component's exports ------------------------------------

const IMPACTS = ['read', 'write', 'high'];

/** Declare a tool: name, description, impact, input schema and function. */
export function tool(def) {
  if (!IMPACTS.includes(def.impact ?? 'read')) {
    throw new Error(`tool ${def.name}: impact must be one of ${IMPACTS.join(', ')}`);
  }
  return { impact: 'read', ...def };
}

function toCallError(e) {
  if (e instanceof InvalidInput) return { tag: 'invalid-input', val: e.message };
  if (e instanceof ToolError) return { tag: 'failed', val: e.message };
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  log.error(`the tool threw ${msg}`);
  return { tag: 'failed', val: msg };
}

function finish(out) {
  return JSON.stringify(out === undefined ? null : out);
}

/** The component's exports: `export const { tools, call } = plugin(...)`. */
export function plugin(...defs) {
  const byName = new Map();
  for (const d of defs) {
    if (byName.has(d.name)) throw new Error(`tool ${d.name} is declared twice`);
    byName.set(d.name, d);
  }
  return {
    tools() {
      return defs.map((d) => ({
        name: d.name,
        description: d.description,
        inputSchema: JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...d.input.json }),
        impact: d.impact,
      }));
    },
    call(name, text) {
      const d = byName.get(name);
      if (!d) throw { tag: 'invalid-input', val: `no tool named \`${name}\`` };
      let input;
      try {
        input = JSON.parse(text);
      } catch (e) {
        throw { tag: 'invalid-input', val: `the input is not JSON: ${e.message}` };
      }
      const bad = d.input.check(input, 'input');
      if (bad) throw { tag: 'invalid-input', val: bad };
      let out;
      try {
        out = d.run(input);
      } catch (e) {
        throw toCallError(e);
      }
      // An async tool (fetch): the engine runs its event loop until the
      // promise settles.
      if (out && typeof out.then === 'function') {
        return out.then(finish, (e) => {
          throw toCallError(e);
        });
      }
      return finish(out);
    },
  };
}
