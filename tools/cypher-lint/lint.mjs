// Lints Cypher with Neo4j's own linter against ckb's schema.
// Input: a JSON file written by `ckb schema cypher --json`:
//   {schema: {labels, relationshipTypes, propertyKeys}, statements: [{name, origin, text, parameters}]}
// Each statement is checked with only the parameters it declares, so a query/declaration
// mismatch is an error. Any error or warning fails (exit 1). Statements are split over
// worker threads because the linter costs ~150 ms per statement.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { lintCypherQuery } from '@neo4j-cypher/language-support';

function lintAll(schema, statements) {
  const { labels, relationshipTypes, propertyKeys } = schema;
  const lines = [];
  for (const stmt of statements) {
    const parameters = Object.fromEntries(stmt.parameters.map((p) => [p, null]));
    const dbSchema = { labels, relationshipTypes, propertyKeys, parameters };
    const { diagnostics } = lintCypherQuery(stmt.text, dbSchema);
    for (const d of diagnostics) {
      const kind = d.severity === 1 ? 'error' : 'warning';
      const where = `${d.range.start.line + 1}:${d.range.start.character + 1}`;
      lines.push(`${stmt.name} (${stmt.origin}) ${where} ${kind}: ${d.message}`);
    }
  }
  return lines;
}

if (!isMainThread) {
  parentPort.postMessage(lintAll(workerData.schema, workerData.statements));
} else {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node lint.mjs EXPORT.json');
    process.exit(2);
  }
  const exported = JSON.parse(readFileSync(file, 'utf8'));
  const statements = exported.statements;
  const shards = Math.max(1, Math.min(availableParallelism(), Math.ceil(statements.length / 20)));
  const work = Array.from({ length: shards }, (_, i) => statements.filter((_, j) => j % shards === i));
  const results = await Promise.all(
    work.map(
      (part) =>
        new Promise((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), {
            workerData: { schema: exported.schema, statements: part },
          });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  const problems = results.flat();
  for (const line of problems) console.log(line);
  const n = statements.length;
  if (problems.length) {
    console.log(`cypher-lint: ${problems.length} problem(s) in ${n} statement(s)`);
    process.exit(1);
  }
  console.log(`cypher-lint: ${n} statement(s) clean`);
}
