/**
 * Pool files: JSON the Python tools read and write (`{"exprs": [...],
 * "weights": [...]}`) plus our own optional fields. Reading validates
 * everything a later step would trip over and reports it as a UserError that
 * names the file, the problem and the fix.
 */
import { readFileSync } from 'node:fs';
import { parseExpr } from '../expr/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';

export interface PoolWindow {
  start: string;
  end: string;
  universe: string;
  qlib_dir?: string;
}

export interface PoolFile {
  /** Expressions in the text form of SPEC §2.2. */
  exprs: string[];
  /** One combination weight per expression. */
  weights: number[];
  /** Signed IC of each member with the target on the pool's window. */
  ics?: number[];
  /** Signed mutual ICs, n x n with ones on the diagonal. */
  mutual_ics?: number[][];
  /** The structure encoder's embedding of each member (GFN pool). */
  embeddings?: number[][];
  /** The window the ICs were measured on: its days, universe (a name, or an instruments file's absolute path) and Qlib folder (absent: the bundled set). */
  window?: PoolWindow;
  /** Seed of the run that mined the pool. */
  seed?: number;
}

/**
 * Python's json.dump writes NaN / Infinity / -Infinity as bare words, which
 * JSON.parse rejects: read them as null (outside strings only).
 */
export function pythonJsonToStrict(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"|-?\bInfinity\b|\bNaN\b/g, (m) => (m.startsWith('"') ? m : 'null'));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A number array field; null (NaN in Python) is allowed only where `allowNull`. */
function numberArray(name: string, v: unknown, where: string, allowNull: boolean): number[] {
  if (!Array.isArray(v)) throw new UserError(`${where}: "${name}" must be a list of numbers; fix or remove it.`);
  return v.map((x, i) => {
    if (typeof x === 'number' && Number.isFinite(x)) return x;
    if (x === null && allowNull) return NaN;
    throw new UserError(`${where}: "${name}"[${i}] is ${x === null ? 'NaN or null' : typeof x === 'number' ? String(x) : JSON.stringify(x)}, not a finite number; fix it${name === 'weights' ? " (or refit the pool's weights)" : ''}.`);
  });
}

/** Weights beyond this magnitude overflow the weighted sum of normalized alphas (values of a few units each, hundreds of stocks). */
const MAX_ABS_WEIGHT = 1e100;

/** Validates parsed JSON as a pool file. `where` names the source in messages (a path). */
export function validatePoolJson(json: unknown, where: string): PoolFile {
  if (!isRecord(json)) throw new UserError(`${where}: a pool file must be a JSON object {"exprs": [...], "weights": [...]}.`);
  const { exprs, weights } = json;
  if (exprs === undefined) throw new UserError(`${where}: missing "exprs" (a list of expression strings); is this a pool file?`);
  if (!Array.isArray(exprs)) throw new UserError(`${where}: "exprs" must be a list of expression strings such as ["TsMean($close,20)"]; fix it.`);
  if (exprs.some((e) => typeof e !== 'string')) throw new UserError(`${where}: every entry of "exprs" must be a string such as "TsMean($close,20)".`);
  if (weights === undefined) throw new UserError(`${where}: missing "weights" (one number per expression); add them.`);
  const w = numberArray('weights', weights, where, false);
  if (w.length !== exprs.length) {
    throw new UserError(`${where}: ${exprs.length} expressions but ${w.length} weights; give exactly one weight per expression.`);
  }
  const huge = w.findIndex((x) => Math.abs(x) > MAX_ABS_WEIGHT);
  if (huge >= 0) throw new UserError(`${where}: "weights"[${huge}] is ${w[huge]}, beyond ${MAX_ABS_WEIGHT}: the combination would overflow; rescale the weights.`);
  (exprs as string[]).forEach((e, i) => {
    try {
      parseExpr(e);
    } catch (err) {
      // The parser's message names the expression, the position and the fix.
      const msg = (err as Error).message.replace(/\s+/g, ' ').trim();
      throw new UserError(`${where}: expression ${i + 1}: ${msg}`);
    }
  });
  const pool: PoolFile = { exprs: (exprs as string[]).slice(), weights: w };
  const n = exprs.length;
  if (json.ics !== undefined && json.ics !== null) {
    const ics = numberArray('ics', json.ics, where, true);
    if (ics.length !== n) throw new UserError(`${where}: "ics" has ${ics.length} entries for ${n} expressions; fix or remove it.`);
    pool.ics = ics;
  }
  if (json.mutual_ics !== undefined && json.mutual_ics !== null) {
    const m = json.mutual_ics;
    if (!Array.isArray(m) || m.length !== n) throw new UserError(`${where}: "mutual_ics" must be a ${n} x ${n} matrix; fix or remove it.`);
    pool.mutual_ics = m.map((row, i) => {
      const r = numberArray(`mutual_ics[${i}]`, row, where, true);
      if (r.length !== n) throw new UserError(`${where}: "mutual_ics" must be a ${n} x ${n} matrix (row ${i} has ${r.length}); fix or remove it.`);
      return r;
    });
  }
  if (json.embeddings !== undefined && json.embeddings !== null) {
    const e = json.embeddings;
    if (!Array.isArray(e) || e.length !== n) throw new UserError(`${where}: "embeddings" must have one vector per expression (${n}); fix or remove it.`);
    pool.embeddings = e.map((row, i) => numberArray(`embeddings[${i}]`, row, where, false));
    const dims = new Set(pool.embeddings.map((r) => r.length));
    if (dims.size > 1) throw new UserError(`${where}: the embeddings have different lengths (${[...dims].join(', ')}); fix or remove them.`);
  }
  if (json.window !== undefined && json.window !== null) {
    const win = json.window;
    if (!isRecord(win) || typeof win.start !== 'string' || typeof win.end !== 'string') {
      throw new UserError(`${where}: "window" must be {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD", "universe": NAME}; fix or remove it.`);
    }
    if (win.qlib_dir !== undefined && typeof win.qlib_dir !== 'string') throw new UserError(`${where}: "window.qlib_dir" must be a folder path; fix or remove it.`);
    pool.window = { start: win.start, end: win.end, universe: typeof win.universe === 'string' ? win.universe : 'all', ...(win.qlib_dir !== undefined ? { qlib_dir: win.qlib_dir } : {}) };
  }
  if (json.seed !== undefined && json.seed !== null) {
    if (typeof json.seed !== 'number' || !Number.isInteger(json.seed)) throw new UserError(`${where}: "seed" must be an integer; fix or remove it.`);
    pool.seed = json.seed;
  }
  return pool;
}

/** Parses pool JSON text (Python's NaN / Infinity words accepted). */
export function parsePoolJson(text: string, where = 'pool'): PoolFile {
  let json: unknown;
  try {
    json = JSON.parse(pythonJsonToStrict(text));
  } catch (err) {
    throw new UserError(`${where} is not valid JSON (${(err as Error).message}); fix the file or write the pool again.`);
  }
  return validatePoolJson(json, where);
}

/** Reads and validates a pool file: bad JSON, an invalid expression or a weights count mismatch is a UserError. */
export function readPoolFile(path: string): PoolFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`pool file ${path} does not exist; check the path.`);
    if (code === 'EISDIR') throw new UserError(`${path} is a folder, not a pool file; give the .json file inside it.`);
    throw new UserError(`cannot read pool file ${path} (${(err as Error).message}); check its permissions.`);
  }
  return parsePoolJson(text.replace(/^\uFEFF/, ''), path); // a byte-order mark some editors write is not JSON
}

/** Number lists on one line, non-finite numbers as null (JSON has no NaN). */
function numberList(xs: readonly number[]): string {
  return `[${xs.map((x) => (Number.isFinite(x) ? JSON.stringify(x) : 'null')).join(', ')}]`;
}

function matrix(rows: readonly (readonly number[])[]): string {
  if (rows.length === 0) return '[]';
  return `[\n${rows.map((r) => `    ${numberList(r)}`).join(',\n')}\n  ]`;
}

/** The file text: the Python fields first, one expression per line, number lists on one line. */
export function formatPoolJson(pool: PoolFile): string {
  const parts: string[] = [];
  parts.push(`  "exprs": ${pool.exprs.length === 0 ? '[]' : `[\n${pool.exprs.map((e) => `    ${JSON.stringify(e)}`).join(',\n')}\n  ]`}`);
  parts.push(`  "weights": ${numberList(pool.weights)}`);
  if (pool.ics) parts.push(`  "ics": ${numberList(pool.ics)}`);
  if (pool.mutual_ics) parts.push(`  "mutual_ics": ${matrix(pool.mutual_ics)}`);
  if (pool.embeddings) parts.push(`  "embeddings": ${matrix(pool.embeddings)}`);
  if (pool.window) parts.push(`  "window": ${JSON.stringify(pool.window)}`);
  if (pool.seed !== undefined) parts.push(`  "seed": ${JSON.stringify(pool.seed)}`);
  return `{\n${parts.join(',\n')}\n}\n`;
}

/** Writes a pool file atomically (temp file + rename). */
export function writePoolFile(path: string, pool: PoolFile): void {
  if (pool.weights.length !== pool.exprs.length) {
    throw new Error(`pool has ${pool.exprs.length} expressions but ${pool.weights.length} weights`);
  }
  writeFileAtomic(path, formatPoolJson(pool));
}
