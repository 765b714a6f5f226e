// Lints Cypher with Neo4j's own linter against ckb's schema.
// Input: a JSON file written by `ckb schema cypher --json`:
//   {schema: {labels, relationshipTypes, propertyKeys}, statements: [{name, origin, text, parameters}]}
// Each statement is checked with only the parameters it declares, so a query/declaration
// mismatch is an error. Any error or warning fails (exit 1).
//
// usage: node lint.mjs [--jobs N] [--cache FILE | --no-cache] EXPORT.json
//
// Where the time goes (658 statements, 2.0.0-next.38): ~90% is the library's semantic
// analysis, a TeaVM translation of Neo4j's Java/Scala front end that re-parses the
// statement and runs the whole compiler pipeline: 60-90 ms per statement once warm,
// growing with its length (3 s for the 60-way UNION of `counts`). The schema object and
// the first-call warm-up (~1 s) are not it. So, cheapest first:
// - a cache (default: cypher-lint.cache.json next to EXPORT.json) of the statements found
//   clean, keyed on the linter's version, this tool's code, the schema, the statement
//   text and its parameters. Only clean results are cached: a statement with a problem is
//   linted, and reported, on every run.
// - identical (text, parameters) pairs are linted once.
// - the semantic analysis runs once per statement *shape* (shape.mjs: the text with
//   schema names replaced by placeholders; ~140 shapes for 658 statements) — it takes no
//   schema, so the names are opaque to it; only a clean shape is shared. Everything else
//   (the label, type, property and parameter checks against the schema, the syntax
//   errors of the library's own parser) runs on every statement's real text.
// - the analysis runs with the compiler's internal assertions off (hooks.mjs).
// - what is left is spread over worker threads (each pays ~1 s to load the library),
//   fed one shape at a time, biggest first, so a slow or busy core is not waited for.
//   One per core: on 2 cores, 2 threads took 15 s cold against ~21 s for 1, and with two
//   busy loops beside them 30-38 s against 42 s.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { realOffset, shapeOf } from './shape.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
// Below this much statement text (characters to analyse) one thread beats paying for
// workers that each load the library.
const TEXT_PER_WORKER = 20000;

function schemaNames(schema) {
  return new Set([...schema.labels, ...schema.relationshipTypes, ...schema.propertyKeys]);
}

function uniqueParameters(parameters) {
  return [...new Set(parameters)].sort();
}

// --- linting (main thread or worker) ---

function plainLabels(labels) {
  if (labels && typeof labels === 'object') {
    if ('condition' in labels && 'children' in labels) {
      return { condition: labels.condition, children: Array.from(labels.children, plainLabels) };
    }
    if ('value' in labels) return { value: labels.value };
  }
  return {}; // the library's wrapper replaces what it cannot read with "any label"
}

function renamedLabels(labels, names) {
  if ('children' in labels) {
    const children = labels.children.map((c) => renamedLabels(c, names));
    return { condition: labels.condition, children };
  }
  if ('value' in labels) return { value: names.get(labels.value) ?? labels.value };
  return labels;
}

// Semantic analysis once per shape. `analyze` is the library's own analyzeQuery.
function sharedAnalysis(names, stats) {
  const clean = new Map(); // version + shape text -> symbol table of a clean analysis, or null
  return (analyze, query, version) => {
    const shape = shapeOf(query, names);
    stats.statements++;
    if (shape === null) {
      stats.runs++;
      return analyze(query, version);
    }
    const key = `${version}\n${shape.text}`;
    let table = clean.get(key);
    if (table === undefined) {
      table = null;
      stats.runs++;
      try {
        const result = analyze(shape.text, version);
        if (result.errors.length === 0 && result.notifications.length === 0) {
          table = Array.from(result.symbolTable, (s) => ({
            variable: s.variable,
            definitionPosition: s.definitionPosition,
            types: Array.from(s.types),
            references: Array.from(s.references),
            labels: plainLabels(s.labels),
          }));
        }
      } catch {
        // analysed again below, on the real text
      }
      clean.set(key, table);
    } else if (table !== null) {
      stats.shared++;
    }
    if (table === null) {
      stats.runs++;
      return analyze(query, version);
    }
    return {
      errors: [],
      notifications: [],
      symbolTable: table.map((s) => ({
        variable: s.variable,
        definitionPosition: realOffset(shape, s.definitionPosition),
        types: s.types.slice(),
        references: s.references.map((o) => realOffset(shape, o)),
        labels: renamedLabels(s.labels, shape.names),
      })),
    };
  };
}

async function loadLinter(schema, stats) {
  register('./hooks.mjs', import.meta.url);
  const index = import.meta.resolve('@neo4j-cypher/language-support');
  const { lintCypherQuery } = await import(index);
  const semantic = await import(new URL('./syntaxValidation/semanticAnalysis.js', index).href);
  semantic.setAnalyzeQueryHook(sharedAnalysis(schemaNames(schema), stats));
  const { labels, relationshipTypes, propertyKeys } = schema;
  return (text, parameters) => {
    const dbSchema = {
      labels,
      relationshipTypes,
      propertyKeys,
      parameters: Object.fromEntries(parameters.map((p) => [p, null])),
    };
    return lintCypherQuery(text, dbSchema).diagnostics.map((d) => ({
      where: `${d.range.start.line + 1}:${d.range.start.character + 1}`,
      kind: d.severity === 1 ? 'error' : 'warning',
      message: d.message,
    }));
  };
}

if (!isMainThread) {
  const stats = { statements: 0, runs: 0, shared: 0 };
  const lint = await loadLinter(workerData.schema, stats);
  parentPort.on('message', (group) => {
    if (group === null) {
      parentPort.postMessage({ stats });
      parentPort.close();
      return;
    }
    parentPort.postMessage({ results: group.map((u) => [u.key, lint(u.text, u.parameters)]) });
  });
  parentPort.postMessage({ ready: true });
} else {
  try {
    await main(process.argv.slice(2));
  } catch (e) {
    console.error(`cypher-lint: ${e.stack ?? e}`);
    process.exit(2);
  }
}

// --- main thread ---

function usage(message) {
  if (message) console.error(`cypher-lint: ${message}`);
  console.error('usage: node lint.mjs [--jobs N] [--cache FILE | --no-cache] EXPORT.json');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { jobs: null, cache: undefined, file: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--jobs') {
      opts.jobs = Number(argv[++i]);
      if (!Number.isInteger(opts.jobs) || opts.jobs < 1) usage('--jobs wants a positive integer');
    } else if (a === '--cache') {
      opts.cache = argv[++i];
      if (!opts.cache) usage('--cache wants a file');
    } else if (a === '--no-cache') {
      opts.cache = null;
    } else if (a.startsWith('-') || opts.file) {
      usage(`unexpected argument ${a}`);
    } else {
      opts.file = a;
    }
  }
  if (!opts.file) usage();
  if (opts.cache === undefined) opts.cache = join(dirname(opts.file), 'cypher-lint.cache.json');
  return opts;
}

function sha256(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

// What a cached "clean" depends on besides the statement: the linter's exact version
// (and the lockfile pinning its dependencies), this tool's code (lint, shapes, load-time
// edits), the node version and the schema.
function cacheSalt(schema) {
  const pkg = readFileSync(
    join(HERE, 'node_modules', '@neo4j-cypher', 'language-support', 'package.json'),
    'utf8',
  );
  const code = ['lint.mjs', 'shape.mjs', 'hooks.mjs', 'package-lock.json'].map((f) =>
    readFileSync(join(HERE, f), 'utf8'),
  );
  return sha256(JSON.parse(pkg).version, process.version, ...code, JSON.stringify(schema));
}

function readCache(path, salt) {
  if (!path) return new Set();
  try {
    const cached = JSON.parse(readFileSync(path, 'utf8'));
    if (cached.salt === salt && Array.isArray(cached.clean)) return new Set(cached.clean);
  } catch {
    // missing or unreadable: a cold run
  }
  return new Set();
}

function writeCache(path, salt, clean) {
  if (!path) return;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify({ salt, clean: [...clean].sort() }));
    renameSync(tmp, path);
  } catch (e) {
    console.error(`cypher-lint: cache not written: ${e.message}`);
  }
}

// Groups of statements sharing a shape, biggest first, for the workers to pull.
function shapeGroups(todo, names) {
  const groups = new Map();
  for (const u of todo) {
    const key = shapeOf(u.text, names)?.text ?? u.text;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(u);
  }
  return [...groups.values()].sort((a, b) => b[0].text.length - a[0].text.length);
}

function runWorkers(jobs, schema, groups) {
  const results = new Map();
  const stats = { statements: 0, runs: 0, shared: 0 };
  let next = 0;
  return new Promise((resolve, reject) => {
    let live = jobs;
    for (let w = 0; w < jobs; w++) {
      const worker = new Worker(new URL(import.meta.url), { workerData: { schema } });
      worker.on('message', (msg) => {
        if (msg.results) for (const [key, diags] of msg.results) results.set(key, diags);
        if (msg.stats) {
          for (const k of Object.keys(stats)) stats[k] += msg.stats[k];
          return;
        }
        worker.postMessage(next < groups.length ? groups[next++] : null);
      });
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (code !== 0) reject(new Error(`lint worker exited with ${code}`));
        else if (--live === 0) resolve({ results, stats });
      });
    }
  });
}

async function main(argv) {
  const started = performance.now();
  const opts = parseArgs(argv);
  const { schema, statements } = JSON.parse(readFileSync(opts.file, 'utf8'));
  const salt = cacheSalt(schema);
  const cached = readCache(opts.cache, salt);

  const unique = new Map(); // cache key -> {key, text, parameters}
  const keys = statements.map((stmt) => {
    const parameters = uniqueParameters(stmt.parameters);
    const key = sha256(salt, JSON.stringify([stmt.text, parameters]));
    if (!unique.has(key)) unique.set(key, { key, text: stmt.text, parameters });
    return key;
  });
  const todo = [...unique.values()].filter((u) => !cached.has(u.key));

  let results = new Map();
  let stats = { statements: 0, runs: 0, shared: 0 };
  let jobs = 0;
  if (todo.length) {
    const names = schemaNames(schema);
    const groups = shapeGroups(todo, names);
    const text = groups.reduce((n, g) => n + g[0].text.length, 0);
    const worth = Math.max(1, Math.floor(text / TEXT_PER_WORKER));
    jobs = Math.min(opts.jobs ?? Math.min(availableParallelism(), worth), groups.length);
    if (jobs === 1) {
      const lint = await loadLinter(schema, stats);
      for (const u of todo) results.set(u.key, lint(u.text, u.parameters));
    } else {
      ({ results, stats } = await runWorkers(jobs, schema, groups));
    }
  }

  const problems = [];
  const clean = new Set();
  statements.forEach((stmt, i) => {
    const diags = cached.has(keys[i]) ? [] : results.get(keys[i]);
    if (diags === undefined) throw new Error(`no lint result for ${stmt.name}`);
    if (!diags.length) clean.add(keys[i]);
    for (const d of diags) {
      problems.push(`${stmt.name} (${stmt.origin}) ${d.where} ${d.kind}: ${d.message}`);
    }
  });
  writeCache(opts.cache, salt, clean);

  for (const line of problems) console.log(line);
  const n = statements.length;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const how = todo.length
    ? `${todo.length} linted on ${jobs} thread(s), ${n - todo.length} cached or repeated; ` +
      `${stats.runs} semantic analyses for ${stats.statements} statements; ${seconds} s`
    : `all cached; ${seconds} s`;
  if (problems.length) {
    console.log(`cypher-lint: ${problems.length} problem(s) in ${n} statement(s) (${how})`);
    process.exitCode = 1;
  } else {
    console.log(`cypher-lint: ${n} statement(s) clean (${how})`);
  }
}
