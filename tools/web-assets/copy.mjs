// Copies the browser files ckb serves itself from node_modules into the Python package: the
// GraphiQL IDE's (api/http/graphiql.py) into api/static/graphiql/vendor/, the agent's screen's
// graph library (api/http/agent_page.py) into api/static/agent/vendor/. No page loads from a CDN. The output is
// committed, so `pip install` needs no node. Regenerate after changing package.json:
//   cd tools/web-assets && npm ci && node copy.mjs
// graphiql ships its bundle unminified under the name graphiql.min.js (3.5 MB); it is
// minified here with esbuild (license comments kept). Every other file is copied as is.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const graphiqlOut = join(here, '..', '..', 'api', 'static', 'graphiql', 'vendor');
const agentOut = join(here, '..', '..', 'api', 'static', 'agent', 'vendor');
const require = createRequire(join(here, 'package.json'));

// [package, file in the package, name under vendor/, minify]
const GRAPHIQL_FILES = [
  ['react', 'umd/react.production.min.js', 'react.production.min.js', false],
  ['react-dom', 'umd/react-dom.production.min.js', 'react-dom.production.min.js', false],
  ['graphiql', 'graphiql.min.js', 'graphiql.min.js', true],
  ['graphiql', 'graphiql.min.css', 'graphiql.min.css', false],
  ['@graphiql/plugin-explorer', 'dist/index.umd.js', 'plugin-explorer.umd.js', false],
  ['@graphiql/plugin-explorer', 'dist/style.css', 'plugin-explorer.css', false],
];
// [package, the package it is a dependency of (else top level), the package whose LICENSE
// file covers it]. @graphiql/plugin-explorer ships no LICENSE file: it is MIT, from
// graphiql's repository, whose LICENSE covers it; its bundle includes graphiql-explorer.
const GRAPHIQL_LICENSES = [
  ['react', null, 'react'],
  ['react-dom', null, 'react-dom'],
  ['graphiql', null, 'graphiql'],
  ['@graphiql/plugin-explorer', null, 'graphiql'],
  ['graphiql-explorer', '@graphiql/plugin-explorer', 'graphiql-explorer'],
];
// The agent's screen: cytoscape's ES module build (minified by its authors), no dependencies.
const AGENT_FILES = [['cytoscape', 'dist/cytoscape.esm.min.mjs', 'cytoscape.esm.min.mjs', false]];
const AGENT_LICENSES = [['cytoscape', null, 'cytoscape']];

function packageDir(name, from = null) {
  const base = from ? createRequire(require.resolve(`${from}/package.json`)) : require;
  // A package whose "exports" hides package.json (cytoscape): look along the resolver's paths.
  const found = base.resolve.paths(name).find((dir) => existsSync(join(dir, name, 'package.json')));
  if (!found) throw new Error(`${name} is not installed: run npm ci`);
  return join(found, name);
}

function version(dir) {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
}

async function vendor(out, files, licenses) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'licenses'), { recursive: true });
  const manifest = { generatedBy: 'tools/web-assets/copy.mjs', packages: {}, files: {} };
  for (const [name, file, target, minify] of files) {
    const dir = packageDir(name);
    let body = readFileSync(join(dir, file));
    if (minify) {
      const { code } = await transform(body.toString('utf8'), {
        loader: 'js',
        minify: true,
        legalComments: 'inline',
      });
      body = Buffer.from(code, 'utf8');
    }
    writeFileSync(join(out, target), body);
    manifest.files[target] = {
      from: `${name}@${version(dir)}/${file}`,
      minified: minify,
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
    };
  }
  for (const [name, from, coveredBy] of licenses) {
    const license = `licenses/${coveredBy}.LICENSE`;
    if (coveredBy === name) {
      writeFileSync(join(out, license), readFileSync(join(packageDir(name, from), 'LICENSE')));
    }
    manifest.packages[name] = { version: version(packageDir(name, from)), license };
  }
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const [target, { bytes }] of Object.entries(manifest.files)) {
    console.log(`${String(bytes).padStart(9)}  ${target}`);
  }
}

await vendor(graphiqlOut, GRAPHIQL_FILES, GRAPHIQL_LICENSES);
await vendor(agentOut, AGENT_FILES, AGENT_LICENSES);
