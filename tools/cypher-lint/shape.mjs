// The "shape" of a Cypher statement: its text with the schema's label, relationship type
// and property key names replaced by placeholders, numbered in order of first use. ckb's
// adapter sends one statement per label (and per property), so 658 statements have ~140
// shapes. Neo4j's semantic analysis (the costly part of the lint) takes no schema: such
// names are opaque symbols to it, so statements of one shape get the same analysis, up to
// positions. lint.mjs uses it only to skip work on a clean result: a shape with any
// diagnostic, or one whose analysis throws, is analysed again on the real text.
//
// Renamed: a plain identifier that is a schema name, in a label, type or property key
// position (isSchemaPosition), consistently (one placeholder per name, so a map key and
// the `.key` that reads it stay the same name). Strings, comments, backticked names,
// parameters and names Cypher gives a meaning to (MEANINGFUL) are never touched. A wrong
// guess (a variable that happens to be a schema name, as in `RETURN a, n:Label`) turns
// into an unbound fresh placeholder: the shape gets an error and the real text is
// analysed, so a guess can cost time but not hide an error.

const PREFIX = 'ckb_shape_';
const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;

function tokens(q) {
  const out = [];
  const n = q.length;
  let i = 0;
  while (i < n) {
    const c = q[i];
    const start = i;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '/' && q[i + 1] === '/') {
      while (i < n && q[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && q[i + 1] === '*') {
      const end = q.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
      continue;
    }
    if (c === "'" || c === '"') {
      i++;
      while (i < n && q[i] !== c) i += q[i] === '\\' ? 2 : 1;
      i++;
      out.push({ kind: 'string', start, end: Math.min(i, n) });
      continue;
    }
    if (c === '`') {
      i++;
      for (;;) {
        while (i < n && q[i] !== '`') i++;
        if (q[i + 1] === '`') i += 2;
        else break;
      }
      i++;
      out.push({ kind: 'quoted', start, end: Math.min(i, n) });
      continue;
    }
    if (c === '$') {
      i++;
      while (i < n && IDENT_PART.test(q[i])) i++;
      out.push({ kind: 'param', start, end: i });
      continue;
    }
    if (IDENT_START.test(c)) {
      while (i < n && IDENT_PART.test(q[i])) i++;
      // A non-ASCII letter glued on makes it some other identifier: leave it alone.
      let kind = 'ident';
      while (i < n && (IDENT_PART.test(q[i]) || q.charCodeAt(i) > 0x7f)) {
        kind = 'other';
        i++;
      }
      out.push({ kind, start, end: i });
      continue;
    }
    if (c >= '0' && c <= '9') {
      while (i < n && /[0-9A-Za-z_.]/.test(q[i])) i++;
      out.push({ kind: 'number', start, end: i });
      continue;
    }
    i++;
    out.push({ kind: 'punct', start, end: i, text: c });
  }
  return out;
}

const isPunct = (t, ch) => t !== undefined && t.kind === 'punct' && t.text === ch;

// Names Cypher itself gives a meaning to as a map key or after a dot (point and temporal
// components, point({x: 1, y: 2})): never renamed, whatever the schema says, in any case.
const MEANINGFUL = new Set(
  (
    'x y z latitude longitude height crs srid ' +
    'year quarter month week weekYear dayOfQuarter quarterDay day ordinalDay dayOfWeek ' +
    'weekDay hour minute second millisecond microsecond nanosecond timezone offset ' +
    'offsetMinutes offsetSeconds epochMillis epochSeconds date time datetime ' +
    'years quarters months weeks days hours minutes seconds milliseconds microseconds ' +
    'nanoseconds'
  )
    .toLowerCase()
    .split(' '),
);

// A map key: `{k: ...` or `, k: ...` (not `k::`).
function isMapKey(toks, k) {
  return (
    toks[k] !== undefined &&
    toks[k].kind === 'ident' &&
    isPunct(toks[k + 1], ':') &&
    !isPunct(toks[k + 2], ':') &&
    (isPunct(toks[k - 1], '{') || isPunct(toks[k - 1], ','))
  );
}

// Whether token k stands for a label, relationship type or property key: after a single
// `:` that does not follow a map key (n:Label, [:TYPE], not the value in {k: v}), after a
// single `.` (n.prop, map projection .prop), or a map key; and not a function or
// procedure name (followed by `(` or `.`).
function isSchemaPosition(toks, k) {
  const prev = toks[k - 1];
  const before = toks[k - 2];
  const next = toks[k + 1];
  if (isPunct(next, '(') || isPunct(next, '.')) return false;
  if (isPunct(prev, ':')) return !isPunct(before, ':') && !isMapKey(toks, k - 2);
  if (isPunct(prev, '.')) return !isPunct(before, '.');
  return isMapKey(toks, k);
}

/**
 * The shape of `query` given the schema `names`, or null when it has nothing to rename (or
 * already contains the placeholder prefix). Returns {text, renames, names}: renames lists
 * {at, length, realAt, realLength} for each replaced token in text order (`at`/`length`
 * in the shape text); names maps placeholder -> real name.
 */
export function shapeOf(query, names) {
  if (query.includes(PREFIX)) return null;
  const toks = tokens(query);
  const placeholders = new Map(); // real -> placeholder
  const renames = [];
  let text = '';
  let copied = 0;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k];
    if (t.kind !== 'ident') continue;
    const real = query.slice(t.start, t.end);
    if (!names.has(real) || MEANINGFUL.has(real.toLowerCase())) continue;
    if (!isSchemaPosition(toks, k)) continue;
    let ph = placeholders.get(real);
    if (ph === undefined) {
      ph = PREFIX + placeholders.size;
      placeholders.set(real, ph);
    }
    text += query.slice(copied, t.start);
    const realLength = t.end - t.start;
    renames.push({ at: text.length, length: ph.length, realAt: t.start, realLength });
    text += ph;
    copied = t.end;
  }
  if (!renames.length) return null;
  text += query.slice(copied);
  return { text, renames, names: new Map([...placeholders].map(([real, ph]) => [ph, real])) };
}

/** Maps an offset in the shape text back to the real text. */
export function realOffset(shape, offset) {
  let delta = 0;
  for (const r of shape.renames) {
    if (offset < r.at) break;
    if (offset < r.at + r.length) return r.realAt; // inside a placeholder
    delta += r.realLength - r.length;
  }
  return offset + delta;
}
