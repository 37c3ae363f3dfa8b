// Build build/{{id}}.wasm with jco + componentize-js (npm install first;
// ./build.sh does both). Outbound HTTP (fetch) is built in only when
// manifest.toml grants an origin: a host refuses a component that imports
// wasi:http without one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const manifest = readFileSync(join(here, 'manifest.toml'), 'utf8');
// `http = [ ... ]` under [grants], with at least one origin.
const grants = manifest.split(/^\[grants\]\s*$/m)[1]?.split(/^\[/m)[0] ?? '';
const http = /^\s*http\s*=\s*\[\s*"/m.test(grants);
const jco = process.env.JCO ?? join(here, 'node_modules', '.bin', 'jco');
const args = ['componentize', 'index.ts', '--wit', 'wit', '--world-name', 'plugin-js', '-o', 'build/{{id}}.wasm'];
if (!http) args.push('--disable', 'http');
mkdirSync(join(here, 'build'), { recursive: true });
const r = spawnSync(jco, args, { cwd: here, encoding: 'utf8' });
// The bundler reports the host's interfaces (warrant:*, wasi:*) as
// unresolved modules: they are the component's imports, as meant.
const noise = /UNRESOLVED_IMPORT|Could not resolve '(warrant|wasi):|treating it as an external|"main" field here was ignored|^\s*[│╭╰─]|^\s*\d+ │|^\s*$/;
for (const line of `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')) {
  if (!noise.test(line)) console.log(line);
}
if (r.error) throw r.error;
process.exit(r.status ?? 1);
