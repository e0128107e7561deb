/**
 * Evaluation over StockData (SPEC §2.4): returns [nDays][nStocks] float64.
 *
 * Plan first, then compute: every distinct sub-expression (keyed by its
 * printed form) becomes one node; walking from the root down, each node
 * learns the padded rows its parents need (the union over all its uses), so a
 * shared sub-tree is computed once, over exactly the rows needed. A feature
 * leaf needing rows outside the padding is an OutOfRangeError (the reference
 * checks its leaves the same way). Ref is a view of its operand (no copy);
 * features are views of a per-StockData [feature][row][stock] copy.
 * Node buffers and that copy live in the WebAssembly kernels' memory during
 * an evaluation (see src/expr/wasm), so most kernels work in place; the
 * result is copied into an array the caller owns (evaluateExpr), or lent to a
 * callback as a view (withExprValues).
 * An optional ExprCache keeps computed nodes across evaluations, bounded by bytes.
 *
 * Determinism: the same expression on the same data gives the same bits, and a
 * sub-expression shared with another use, or served from the cache after being
 * computed over more rows, equals its standalone evaluation bit for bit (the
 * window-sum kernels align their blocks to absolute rows: `row0`, counted from
 * the calendar's first day, so this holds across loaded windows of one folder too).
 */
import { Buffer } from 'node:buffer';
import { FEATURES, type StockData } from '../data/types.js';
import { featureIndex, windowOf, type Expr, type OpExpr } from './ast.js';
import { rowsBack, type OperatorKernel } from './kernels/types.js';
import { parseExpr, printExpr } from './text.js';
import { beginResident, endResident, memoryView, residentFeatures, residentView } from './wasm/index.js';

/** The expression needs days outside the loaded padding (the miner gives it reward 0). */
export class OutOfRangeError extends Error {
  constructor(
    message: string,
    readonly lookback: number,
    readonly lookahead: number,
  ) {
    super(message);
    this.name = 'OutOfRangeError';
  }
}

export function isOutOfRangeError(e: unknown): e is OutOfRangeError {
  return e instanceof OutOfRangeError;
}

/** The label, Ref($close,-20)/$close-1: the 20-day forward return. */
export const TARGET_EXPR_TREE: Expr = parseExpr('Sub(Div(Ref($close,-20),$close),1.0)');

export interface EvalOptions {
  /** Cross-evaluation cache (off when absent). */
  cache?: ExprCache;
  /**
   * Replacement kernels by operator name (diagnostics and tests, e.g. to
   * reproduce a reference implementation's quirks). Disables the cache.
   */
  kernels?: ReadonlyMap<string, OperatorKernel>;
  /**
   * Called with the values of every computed operator node and constant
   * (arrays this evaluation owns; feature data and Ref views excluded), before
   * parents read them; may modify them in place. `rows` = the padded rows
   * [lo, hi) the values cover (a constant: one value for all). The array may be
   * reused after the evaluation: copy what you keep. Disables the cache.
   */
  afterNode?: (values: Float64Array, expr: Expr, rows: { lo: number; hi: number }) => void;
}

/**
 * Days an expression reads before (lookback) and after (lookahead) each evaluated day.
 * Out of range when lookback > data.backtrack or lookahead > data.future.
 */
export function exprExtent(e: Expr): { lookback: number; lookahead: number } {
  // rows relative to a day: [-lookback, +lookahead]
  const walk = (x: Expr, lo: number, hi: number, acc: { lo: number; hi: number }): void => {
    if (x.type === 'feature' || x.type === 'const') {
      acc.lo = Math.min(acc.lo, lo);
      acc.hi = Math.max(acc.hi, hi);
      return;
    }
    if (x.type === 'window') return;
    const k = x.op.kernel;
    if (k.kind === 'rolling' || k.kind === 'pairRolling') {
      const w = windowOf(x);
      const rows = k.kind === 'rolling' ? k.rows : 'window';
      const cLo = lo - rowsBack(rows, w);
      const cHi = rows === 'shift' ? hi - w : hi;
      for (let i = 0; i < x.args.length - 1; i++) walk(x.args[i], cLo, cHi, acc);
    } else for (const a of x.args) walk(a, lo, hi, acc);
  };
  const acc = { lo: 0, hi: 0 };
  walk(e, 0, 0, acc);
  return { lookback: Math.max(0, -acc.lo), lookahead: Math.max(0, acc.hi) };
}

/** A node of the evaluation plan: one distinct sub-expression. */
interface PlanNode {
  readonly key: string;
  readonly expr: Expr;
  readonly children: PlanNode[];
  /** Padded rows needed [lo, hi); empty (lo >= hi) until some parent asks. Small integers (Smis) on purpose: doubles here would slow every kernel. */
  lo: number;
  hi: number;
  /** Computed values over [lo, hi) (or a one-element array for a scalar). */
  value?: Float64Array;
  scalar: boolean;
  /** The value is a view into memory this evaluation does not own (feature data, the cache). */
  shared: boolean;
  /** The value came from the buffer pool (goes back when the evaluation ends, unless returned). */
  pooled?: boolean;
  /** Served from the cache: its children need not be computed. */
  fromCache: boolean;
  /** The value is in the evaluation's reserved WebAssembly memory (valid until it ends). */
  resident?: boolean;
}

/**
 * Recycled node buffers: intermediate results of one evaluation go back here
 * when it ends (fresh typed arrays cost page faults; reused ones are warm).
 * Bounded in bytes; the returned result is never pooled (the caller owns it).
 */
const POOL_MAX_BYTES = 64 * 1024 * 1024;
const pool = new Map<number, Float64Array[]>();
let pooledBytes = 0;
function acquire(n: number): Float64Array {
  const list = pool.get(n);
  const b = list?.pop();
  if (b) {
    pooledBytes -= b.byteLength;
    return b;
  }
  return new Float64Array(n);
}
function release(b: Float64Array): void {
  if (b.byteLength < 4096 || pooledBytes + b.byteLength > POOL_MAX_BYTES || b.byteOffset !== 0 || b.length * 8 !== b.buffer.byteLength) return;
  let list = pool.get(b.length);
  if (!list) pool.set(b.length, (list = []));
  list.push(b);
  pooledBytes += b.byteLength;
}

/** Per-StockData copy of the features as [feature][paddedDays][nStocks], so rows are contiguous. */
const featureColumns = new WeakMap<StockData, Float64Array[]>();
function featureRows(data: StockData, f: number): Float64Array {
  let cols = featureColumns.get(data);
  if (!cols) {
    const nF = FEATURES.length;
    const nS = data.nStocks;
    cols = [];
    for (let k = 0; k < nF; k++) {
      const c = new Float64Array(data.paddedDays * nS);
      for (let d = 0; d < data.paddedDays; d++) c.set(data.values.subarray((d * nF + k) * nS, (d * nF + k + 1) * nS), d * nS);
      cols.push(c);
    }
    featureColumns.set(data, cols);
  }
  return cols[f];
}

/** Sentinel for "no rows yet": a small integer, so row arithmetic stays in V8's integer representation. */
const NO_ROWS = 1 << 29;

/** Builds the DAG of distinct sub-expressions; returns the root and all nodes, parents before children. */
function buildPlan(root: Expr): { root: PlanNode; order: PlanNode[] } {
  const byKey = new Map<string, PlanNode>();
  const visit = (e: Expr): PlanNode => {
    const key = printExpr(e);
    let node = byKey.get(key);
    if (node) return node;
    const children: PlanNode[] = [];
    if (e.type === 'op') {
      const nOperands = e.op.kind === 'rolling' || e.op.kind === 'pairRolling' ? e.args.length - 1 : e.args.length;
      for (let i = 0; i < nOperands; i++) children.push(visit(e.args[i]));
    }
    node = { key, expr: e, children, lo: NO_ROWS, hi: -NO_ROWS, scalar: false, shared: false, fromCache: false };
    byKey.set(key, node);
    return node;
  };
  const rootNode = visit(root);
  // A parent's text strictly contains each child's text, so longer keys come first.
  const order = [...byKey.values()].sort((a, b) => b.key.length - a.key.length);
  return { root: rootNode, order };
}

/** Rows [lo, hi) of child i needed for parent rows [lo, hi). */
function childRows(e: OpExpr, lo: number, hi: number): [number, number] {
  const k = e.op.kernel;
  if (k.kind === 'unary' || k.kind === 'binary') return [lo, hi];
  const w = windowOf(e);
  const rows = k.kind === 'rolling' ? k.rows : 'window';
  return [lo - rowsBack(rows, w), rows === 'shift' ? hi - w : hi];
}

/**
 * Evaluates `expr` on `data` over its nDays window: Float64Array [nDays][nStocks], owned by the caller.
 * Throws OutOfRangeError if it needs more than data.backtrack days before or data.future after.
 */
export function evaluateExpr(expr: Expr | string, data: StockData, opts: EvalOptions = {}): Float64Array {
  return evaluatePlan(expr, data, opts, (root) => {
    const n = data.nDays * data.nStocks;
    const v = root.value as Float64Array;
    if (root.scalar) return resultArray(n).fill(v[0]);
    const off = (data.backtrack - root.lo) * data.nStocks;
    if (!root.shared && !root.resident && off === 0 && v.length === n && v.byteOffset === 0 && v.buffer.byteLength === n * 8) {
      root.pooled = false; // handed over to the caller
      return v;
    }
    const out = resultArray(n);
    out.set(v.subarray(off, off + n));
    return out;
  });
}

/**
 * A fresh array of n doubles, every cell to be written by the caller: not
 * zero-filled first (Node's uninitialized allocation), so the memory can come
 * back from the allocator without zeroing or fresh pages (measured here for
 * 610 x 496 cells: 0.25-0.33 ms median with the copy, against 0.34-0.54 ms
 * for slice).
 */
function resultArray(n: number): Float64Array {
  return new Float64Array(Buffer.allocUnsafeSlow(n * 8).buffer, 0, n);
}

/**
 * Evaluates `expr` like evaluateExpr, but passes its values to `use` as a view
 * of the evaluation's own buffer, valid only during the call, and returns what
 * `use` returns. No copy and no fresh 8-bytes-per-cell array per evaluation:
 * a fresh array's first writes fault its pages in, which measured 0.4-2 ms
 * for 610 x 496 cells on this project's VM, as much as many kernels. For
 * loops that consume each result at once (the miner's reward, metrics).
 * The view must not be kept, nor written to (for a bare feature it is the
 * data's own values). Inside `use`, WebAssembly work on data larger
 * than this evaluation's throws (the kernels' memory cannot grow while the
 * view lives).
 */
export function withExprValues<T>(expr: Expr | string, data: StockData, use: (values: Float64Array) => T, opts: EvalOptions = {}): T {
  return evaluatePlan(expr, data, opts, (root) => {
    const n = data.nDays * data.nStocks;
    const v = root.value as Float64Array;
    if (root.scalar) return use(new Float64Array(n).fill(v[0]));
    const off = (data.backtrack - root.lo) * data.nStocks;
    return use(v.subarray(off, off + n));
  });
}

/** Plans and computes `expr`, then calls `finish` with the root node while its buffers live. */
function evaluatePlan<T>(expr: Expr | string, data: StockData, opts: EvalOptions, finish: (root: PlanNode) => T): T {
  const e = typeof expr === 'string' ? parseExpr(expr) : expr;
  if (e.type === 'window') throw new Error('a window is not an expression');
  const B = data.backtrack;
  const hooked = opts.kernels !== undefined || opts.afterNode !== undefined;
  const cache = hooked ? undefined : opts.cache;
  const { root, order } = buildPlan(e);

  // 1. Rows needed by every node, parents first; stop at cached nodes.
  root.lo = B;
  root.hi = B + data.nDays;
  for (const node of order) {
    if (node.lo >= node.hi) continue; // only needed by cached parents
    if (cache && node.expr.type === 'op') {
      const hit = cache.get(data, node.key, node.lo, node.hi);
      if (hit) {
        node.value = hit;
        node.shared = true;
        node.fromCache = true;
        continue;
      }
    }
    const x = node.expr;
    if (x.type === 'feature' || x.type === 'const') {
      if (node.lo < 0 || node.hi > data.paddedDays) {
        const ext = exprExtent(e);
        throw new OutOfRangeError(
          `'${printExpr(e)}' reads ${ext.lookback} days back and ${ext.lookahead} ahead; the data holds ${data.backtrack} and ${data.future}`,
          ext.lookback,
          ext.lookahead,
        );
      }
      continue;
    }
    if (x.type !== 'op') continue;
    const [cLo, cHi] = childRows(x, node.lo, node.hi);
    for (const c of node.children) {
      if (cLo < c.lo) c.lo = cLo;
      if (cHi > c.hi) c.hi = cHi;
    }
  }

  // 2. Compute, children first, into node buffers in the WebAssembly kernels'
  // memory when it can hold them (kernels then work in place, no copies).
  const buffers = residentBuffers(order, data);
  let result: T;
  try {
    for (let k = order.length - 1; k >= 0; k--) {
      const node = order[k];
      if (node.value || node.lo >= node.hi) continue;
      const value = computeNode(node, data, opts.kernels, buffers);
      if (opts.afterNode && !node.shared && node.expr.type !== 'feature') opts.afterNode(value, node.expr, { lo: node.lo, hi: node.hi });
      if (cache && node.expr.type === 'op' && !node.scalar && !node.shared) {
        // The cache keeps values across evaluations: a copy of a reserved buffer.
        cache.set(data, node.key, node.lo, node.hi, node.resident ? value.slice() : value);
        node.shared = true;
      }
    }
    // 3. The root's rows [B, B + nDays).
    result = finish(root);
  } finally {
    if (buffers) endResident();
    // 4. Intermediate buffers back to the pool (not cached ones: the cache keeps them).
    for (const node of order) if (node.pooled && !node.shared && node.value) release(node.value);
  }
  return result;
}

/** Bump allocation of an evaluation's node buffers in the WebAssembly memory (see beginResident), and the resident features' byte offsets. */
interface ResidentBuffers {
  next: number;
  features: readonly number[] | undefined;
}

/**
 * Reserves WebAssembly memory for every operator node's buffer (an upper
 * bound: nodes that turn out scalar or views reserve too) and for the kernels'
 * copies and working memory (at most eight of the largest matrix, the pair
 * kernels' need); undefined when that is not possible (too large, or an
 * evaluation inside another's hook): buffers then come from the pool.
 */
function residentBuffers(order: readonly PlanNode[], data: StockData): ResidentBuffers | undefined {
  const nS = data.nStocks;
  let nodeBytes = 0;
  let maxRows = 0;
  let usesFeatures = false;
  for (const node of order) {
    if (node.lo >= node.hi) continue;
    maxRows = Math.max(maxRows, node.hi - node.lo);
    if (!node.value && node.expr.type === 'op') nodeBytes += Math.ceil(((node.hi - node.lo) * nS * 8) / 64) * 64;
    if (node.expr.type === 'feature') usesFeatures = true;
  }
  if (nodeBytes === 0) return undefined;
  // The data's features stay in the memory across evaluations (copied when the data changes).
  const features = usesFeatures ? residentFeatures(data, FEATURES.map((_, f) => featureRows(data, f))) : undefined;
  return beginResident(nodeBytes, 8 * maxRows * nS * 8 + (1 << 20)) ? { next: 0, features } : undefined;
}

/** The rows [lo, hi) of a computed child, or its scalar. */
function rowsOf(child: PlanNode, lo: number, hi: number, nS: number): Float64Array {
  const v = child.value as Float64Array;
  if (child.scalar) return v;
  return v.subarray((lo - child.lo) * nS, (hi - child.lo) * nS);
}

/** A child's rows as a full matrix (a scalar is broadcast: Rank and rolling operators need every cell). */
function matrixOf(child: PlanNode, lo: number, hi: number, nS: number): Float64Array {
  if (!child.scalar) return rowsOf(child, lo, hi, nS);
  return new Float64Array((hi - lo) * nS).fill((child.value as Float64Array)[0]);
}

function computeNode(node: PlanNode, data: StockData, kernels: ReadonlyMap<string, OperatorKernel> | undefined, buffers: ResidentBuffers | undefined): Float64Array {
  compute(node, data, kernels, buffers);
  return node.value as Float64Array;
}

function compute(node: PlanNode, data: StockData, kernels: ReadonlyMap<string, OperatorKernel> | undefined, buffers: ResidentBuffers | undefined): void {
  const x = node.expr;
  const nS = data.nStocks;
  const nRows = node.hi - node.lo;
  if (x.type === 'feature') {
    const f = featureIndex(x.feature);
    const at = buffers?.features?.[f];
    node.value = at === undefined ? featureRows(data, f).subarray(node.lo * nS, node.hi * nS) : memoryView(at + node.lo * nS * 8, (node.hi - node.lo) * nS);
    node.shared = true;
    return;
  }
  if (x.type === 'const') {
    node.value = Float64Array.of(x.value);
    node.scalar = true;
    return;
  }
  if (x.type !== 'op') throw new Error('a window is not evaluated');
  const k = kernels?.get(x.op.name) ?? x.op.kernel;
  if (k.kind !== x.op.kind) throw new Error(`kernel for ${x.op.name} must be ${x.op.kind}, got ${k.kind}`);
  const [cLo, cHi] = childRows(x, node.lo, node.hi);
  const calendarRow = data.calendarOffset ?? 0; // the window-sum kernels' row0 counts from the calendar's first day
  /** The node's own buffer: reserved WebAssembly memory during a resident evaluation, else one from the pool. */
  const own = (): Float64Array => {
    const n = nRows * nS;
    if (buffers) {
      const v = residentView(buffers.next, n);
      buffers.next += Math.ceil((n * 8) / 64) * 64;
      node.resident = true;
      return v;
    }
    node.pooled = true;
    return acquire(n);
  };
  switch (k.kind) {
    case 'unary': {
      const c = node.children[0];
      const run = k.run;
      if (c.scalar && !k.crossSection) {
        node.value = new Float64Array(1);
        node.scalar = true;
        run(c.value as Float64Array, node.value, 1, 1);
        return;
      }
      node.value = own();
      run(matrixOf(c, cLo, cHi, nS), node.value, nRows, nS);
      return;
    }
    case 'binary': {
      const [a, b] = node.children;
      if (a.scalar && b.scalar) {
        node.value = new Float64Array(1);
        node.scalar = true;
        k.run(a.value as Float64Array, 0, b.value as Float64Array, 0, node.value, 1);
        return;
      }
      node.value = own();
      k.run(rowsOf(a, cLo, cHi, nS), a.scalar ? 0 : 1, rowsOf(b, cLo, cHi, nS), b.scalar ? 0 : 1, node.value, nRows * nS);
      return;
    }
    case 'rolling': {
      const c = node.children[0];
      if (k.rows === 'shift' && !c.scalar) {
        // Ref: the operand's rows, shifted; no copy.
        node.value = rowsOf(c, cLo, cHi, nS);
        node.shared = true;
        return;
      }
      node.value = own();
      k.run(matrixOf(c, cLo, cHi, nS), node.value, nRows, nS, windowOf(x), calendarRow + cLo);
      return;
    }
    case 'pairRolling': {
      const [a, b] = node.children;
      node.value = own();
      k.run(matrixOf(a, cLo, cHi, nS), matrixOf(b, cLo, cHi, nS), node.value, nRows, nS, windowOf(x), calendarRow + cLo);
      return;
    }
  }
}

/** The label `Ref($close,-20)/$close-1` over the data's nDays window. */
export function evaluateTarget(data: StockData): Float64Array {
  return evaluateExpr(TARGET_EXPR_TREE, data);
}

interface CacheEntry {
  lo: number;
  hi: number;
  value: Float64Array;
}

/**
 * Computed sub-expressions kept across evaluations, least recently used out
 * first, bounded by the bytes of the arrays it holds. Entries belong to one
 * StockData object (another load is another key space).
 */
export class ExprCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly dataIds = new WeakMap<StockData, number>();
  private nextDataId = 0;
  private used = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  private keyOf(data: StockData, key: string): string {
    let id = this.dataIds.get(data);
    if (id === undefined) {
      id = this.nextDataId++;
      this.dataIds.set(data, id);
    }
    return `${id}|${key}`;
  }

  /** The cached rows [lo, hi) of `key`, if an entry covers them. */
  get(data: StockData, key: string, lo: number, hi: number): Float64Array | undefined {
    const k = this.keyOf(data, key);
    const e = this.entries.get(k);
    if (!e || e.lo > lo || e.hi < hi) {
      this.misses++;
      return undefined;
    }
    this.entries.delete(k);
    this.entries.set(k, e);
    this.hits++;
    const nS = data.nStocks;
    return e.value.subarray((lo - e.lo) * nS, (hi - e.lo) * nS);
  }

  set(data: StockData, key: string, lo: number, hi: number, value: Float64Array): void {
    if (value.byteLength > this.maxBytes) return;
    const k = this.keyOf(data, key);
    const old = this.entries.get(k);
    if (old) {
      this.used -= old.value.byteLength;
      this.entries.delete(k);
    }
    this.entries.set(k, { lo, hi, value });
    this.used += value.byteLength;
    for (const [key0, e] of this.entries) {
      if (this.used <= this.maxBytes) break;
      this.entries.delete(key0);
      this.used -= e.value.byteLength;
    }
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }
}
