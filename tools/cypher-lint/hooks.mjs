// Module loader hooks for lint.mjs: two source edits to the linter's semantic analysis,
// a 5.6 MB TeaVM translation of Neo4j's Java/Scala Cypher front end
// (dist/esm/.../syntaxValidation/semanticAnalysis.js), made as it is loaded, so the
// pinned package under node_modules stays untouched.
//
// 1. Its AssertionRunner class is built with Java assertions on, so every compiler phase
//    re-checks its own postconditions after running (`if(Kt)` in the translation) —
//    15-20% of the time. Those checks test the compiler, not the query, and when one
//    trips it throws, which the library's wrapper swallows as "no diagnostics". Off.
// 2. analyzeQuery is routed through a hook that lint.mjs sets (setAnalyzeQueryHook), so
//    it can analyse statements that differ only in label, type and property names once.
//
// An edit whose text is not found exactly once is skipped with a warning on stderr:
// the lint stays correct (the library's own code runs), only slower. The edited module
// also exports SEMANTIC_EDITS, the edits that applied.
const TARGET = '/syntaxValidation/semanticAnalysis.js';

const EDITS = [
  {
    name: 'assertions-off',
    from: 'Isc=()=>{EFo=0;Kt=Bwx();}',
    to: 'Isc=()=>{EFo=1;Kt=Bwx();}',
  },
  {
    name: 'analyze-hook',
    from: 'export{C as updateSignatureResolver,D as analyzeQuery};',
    to:
      'let ckbAnalyzeQueryHook=null;' +
      'const setAnalyzeQueryHook=(h)=>{ckbAnalyzeQueryHook=h;};' +
      'const ckbAnalyzeQuery=(q,v)=>' +
      'ckbAnalyzeQueryHook===null?D(q,v):ckbAnalyzeQueryHook(D,q,v);' +
      'export{C as updateSignatureResolver,ckbAnalyzeQuery as analyzeQuery,setAnalyzeQueryHook};',
  },
];

function count(haystack, needle) {
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!url.endsWith(TARGET) || !url.includes('/@neo4j-cypher/language-support/')) return result;
  let source =
    typeof result.source === 'string' ? result.source : new TextDecoder().decode(result.source);
  if (source.includes('SEMANTIC_EDITS')) return result; // hooks registered twice
  const applied = [];
  for (const edit of EDITS) {
    if (count(source, edit.from) === 1) {
      source = source.replace(edit.from, () => edit.to);
      applied.push(edit.name);
    } else {
      process.stderr.write(
        `cypher-lint: semanticAnalysis.js has changed; edit '${edit.name}' skipped ` +
          '(slower, still correct)\n',
      );
    }
  }
  if (!applied.includes('analyze-hook')) {
    // lint.mjs imports setAnalyzeQueryHook; without the edit it gets a no-op.
    source += '\nexport const setAnalyzeQueryHook=()=>false;';
  }
  source += `\nexport const SEMANTIC_EDITS=${JSON.stringify(applied)};`;
  return { ...result, source };
}
