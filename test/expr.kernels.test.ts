/**
 * Every kernel against a naive implementation that materialises each window
 * (O(w) per cell, the formulas of SPEC §2.4 written plainly), on random data
 * with NaNs, infinities, huge values, runs of identical values and ties.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONSTANTS, OPERATORS, type BinaryKernel, type OperatorInfo, type UnaryKernel } from '../src/expr/index.js';
import { rowsBack } from '../src/expr/kernels/types.js';
import { cPow } from '../src/expr/kernels/elementwise.js';
import { Rng } from '../src/util/rng.js';

type Window = number[];

/** Mean, exact for a window of identical values (the engine's rule). */
function mean(xs: Window): number {
  if (xs.every((x) => x === xs[0])) return xs[0];
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}
const central = (xs: Window): number[] => {
  const m = mean(xs);
  return xs.map((x) => x - m);
};
const sumOf = (xs: number[]): number => xs.reduce((s, x) => s + x, 0);
const variance = (xs: Window): number => sumOf(central(xs).map((c) => c * c)) / (xs.length - 1);

/** Naive window statistics (window oldest -> newest; NaN anywhere -> NaN unless noted). */
const NAIVE_ROLLING: Record<string, (xs: Window) => number> = {
  TsMean: mean,
  TsSum: (xs) => (xs.every((x) => x === xs[0]) ? xs[0] * xs.length : sumOf(xs)),
  TsStd: (xs) => Math.sqrt(variance(xs)),
  TsVar: variance,
  TsIr: (xs) => mean(xs) / Math.sqrt(variance(xs)),
  TsMinMaxDiff: (xs) => Math.max(...xs) - Math.min(...xs),
  TsMaxDiff: (xs) => xs[xs.length - 1] - Math.max(...xs),
  TsMinDiff: (xs) => xs[xs.length - 1] - Math.min(...xs),
  TsSkew: (xs) => {
    const c = central(xs);
    const n = xs.length;
    const m2 = sumOf(c.map((v) => v * v)) / n;
    return sumOf(c.map((v) => v * v * v)) / n / Math.pow(m2, 1.5);
  },
  TsKurt: (xs) => {
    const c = central(xs);
    const v = variance(xs);
    return sumOf(c.map((x) => x ** 4)) / xs.length / (v * v) - 3;
  },
  TsMax: (xs) => Math.max(...xs),
  TsMin: (xs) => Math.min(...xs),
  TsMed: (xs) => (xs.some((x) => x !== x) ? NaN : [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]),
  TsMad: (xs) => {
    const m = mean(xs);
    return sumOf(xs.map((x) => Math.abs(x - m))) / xs.length;
  },
  TsRank: (xs) => {
    const last = xs[xs.length - 1];
    const gt = xs.filter((x) => x > last).length;
    const ge = xs.filter((x) => x >= last).length;
    return (gt + ge + (ge > gt ? 1 : 0)) / (2 * xs.length);
  },
  TsDiv: (xs) => xs[xs.length - 1] / mean(xs),
  TsDelta: (xs) => xs[xs.length - 1] - xs[0], // w + 1 points
  TsPctChange: (xs) => (xs[xs.length - 1] - xs[0]) / xs[0],
  TsWMA: (xs) => {
    const w = xs.length;
    const total = (w * (w - 1)) / 2;
    return sumOf(xs.map((x, j) => (j / total) * x));
  },
  TsEMA: (xs) => {
    const w = xs.length;
    const a = 1 - 2 / (1 + w);
    const wt = xs.map((_, j) => Math.pow(a, w - j));
    const z = sumOf(wt);
    return sumOf(xs.map((x, j) => (wt[j] / z) * x));
  },
};

const NAIVE_PAIR: Record<string, (xs: Window, ys: Window) => number> = {
  TsCov: (xs, ys) => {
    const cx = central(xs);
    const cy = central(ys);
    return sumOf(cx.map((c, i) => c * cy[i])) / (xs.length - 1);
  },
  TsCorr: (xs, ys) => {
    const cx = central(xs);
    const cy = central(ys);
    const l = sumOf(cx.map((c) => c * c));
    const r = sumOf(cy.map((c) => c * c));
    const d = l < 1e-6 || r < 1e-6 ? 1 : Math.sqrt(l * r);
    return sumOf(cx.map((c, i) => c * cy[i])) / d;
  },
};

const NAIVE_UNARY: Record<string, (x: number) => number> = {
  Abs: Math.abs,
  SLog1p: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === x ? 0 : NaN) * Math.log1p(Math.abs(x)),
  Inv: (x) => 1 / x,
  Sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === x ? 0 : NaN),
  Log: Math.log,
};

const NAIVE_BINARY: Record<string, (x: number, y: number) => number> = {
  Add: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Mul: (x, y) => x * y,
  Div: (x, y) => x / y,
  Pow: (x, y) => cPow(x, y),
  Greater: (x, y) => (x !== x || y !== y ? NaN : x > y ? x : y),
  Less: (x, y) => (x !== x || y !== y ? NaN : x < y ? x : y),
};

/** An operator's naive formula; a new operator needs one in the matching table (the error says which). */
function naiveOf<F>(table: Record<string, F>, tableName: string, op: OperatorInfo): F {
  const f = table[op.name];
  if (f === undefined) throw new Error(`no naive formula for ${op.name}: add one to ${tableName} in test/expr.kernels.test.ts`);
  return f;
}

/** Random matrix [rows][nS] with NaNs, runs of identical values, ties and, optionally, infinities and huge values. */
function randomMatrix(rng: Rng, rows: number, nS: number, opts: { offset: number; special: boolean }): Float64Array {
  const m = new Float64Array(rows * nS);
  for (let s = 0; s < nS; s++) {
    let run = 0;
    let runValue = 0;
    for (let t = 0; t < rows; t++) {
      let v: number;
      const u = rng.next();
      if (run > 0) {
        v = runValue;
        run--;
      } else if (u < 0.06) v = NaN;
      else if (u < 0.08) {
        run = 5 + rng.int(60); // a run of identical values, sometimes longer than the window
        runValue = opts.offset + Math.round(rng.normal() * 4) / 4;
        v = runValue;
      } else if (u < 0.12) v = opts.offset + Math.round(rng.normal() * 2); // ties
      else if (opts.special && u < 0.13) v = rng.next() < 0.5 ? Infinity : -Infinity;
      else if (opts.special && u < 0.14) v = (rng.next() < 0.5 ? 1 : -1) * 1e120;
      else if (opts.special && u < 0.15) v = 0;
      else v = opts.offset + rng.normal() * (s % 3 === 0 ? 1e-3 : 1);
      m[t * nS + s] = v;
    }
  }
  return m;
}

function close(a: number, b: number, tol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= tol * (1 + Math.abs(b));
}

/** Tolerance per kernel: exact for order statistics, rounding-level for running sums. */
const TOL: Record<string, number> = { TsSkew: 1e-7, TsKurt: 1e-7, TsCorr: 1e-8, TsIr: 1e-8 };

const DATASETS = [
  { name: 'centred data', offset: 0, special: false },
  { name: 'data far from 0 (price-like)', offset: 100, special: false },
  { name: 'data with infinities, 0 and 1e120', offset: 3, special: true },
];

for (const op of OPERATORS.filter((o) => o.kind === 'rolling')) {
  test(`rolling kernel ${op.name} matches the naive window formula`, () => {
    const k = op.kernel;
    assert.equal(k.kind, 'rolling');
    if (k.kind !== 'rolling') return;
    if (k.rows === 'shift') {
      // Ref: the evaluator passes the shifted rows; the kernel copies.
      for (const ds of DATASETS) {
        const src = randomMatrix(new Rng(ds.offset + 5), 150, 7, ds);
        const out = new Float64Array(src.length);
        k.run(src, out, 150, 7, 10);
        assert.deepEqual(out, src);
      }
      return;
    }
    const naive = naiveOf(NAIVE_ROLLING, 'NAIVE_ROLLING', op);
    for (const ds of DATASETS) {
      for (const w of [1, 2, 3, 10, 20, 30, 40, 50]) {
        const rng = new Rng(w * 1000 + ds.offset * 7 + op.name.length);
        const nS = 7;
        const nOut = 150;
        const back = rowsBack(k.rows, w);
        const src = randomMatrix(rng, nOut + back, nS, ds);
        const out = new Float64Array(nOut * nS).fill(-12345);
        k.run(src, out, nOut, nS, w);
        for (let r = 0; r < nOut; r++) {
          for (let s = 0; s < nS; s++) {
            // The back + 1 source rows output row r reads (w for windows, w + 1 for TsDelta).
            const xs: number[] = [];
            for (let j = 0; j <= back; j++) xs.push(src[(r + j) * nS + s]);
            // NaN anywhere -> NaN, except TsPctChange (reads the two end points) and TsRank (counts, its own rule).
            const nanRule = k.rows === 'window' && op.name !== 'TsPctChange' && op.name !== 'TsRank';
            const want = nanRule && xs.some((x) => x !== x) ? NaN : naive(xs);
            const got = out[r * nS + s];
            assert.ok(close(got, want, TOL[op.name] ?? 1e-9), `${op.name} w=${w} ${ds.name} row ${r} stock ${s}: got ${got}, naive ${want}`);
          }
        }
      }
    }
  });
}

for (const op of OPERATORS.filter((o) => o.kind === 'pairRolling')) {
  test(`pair rolling kernel ${op.name} matches the naive window formula`, () => {
    const k = op.kernel;
    if (k.kind !== 'pairRolling') return assert.fail('not a pair kernel');
    const naive = naiveOf(NAIVE_PAIR, 'NAIVE_PAIR', op);
    for (const ds of DATASETS) {
      for (const w of [2, 3, 10, 20, 30, 40, 50]) {
        const rng = new Rng(w * 1000 + ds.offset * 7 + 99);
        const nS = 7;
        const nOut = 150;
        const a = randomMatrix(rng, nOut + w - 1, nS, ds);
        const b = randomMatrix(rng, nOut + w - 1, nS, { ...ds, offset: ds.offset / 2 });
        // Make some columns depend on each other (strong correlation, exercising the sums).
        for (let i = 0; i < a.length; i += nS) b[i + 1] = 2 * a[i + 1] + 1;
        const out = new Float64Array(nOut * nS);
        k.run(a, b, out, nOut, nS, w);
        for (let r = 0; r < nOut; r++) {
          for (let s = 0; s < nS; s++) {
            const xs: number[] = [];
            const ys: number[] = [];
            for (let j = 0; j < w; j++) {
              xs.push(a[(r + j) * nS + s]);
              ys.push(b[(r + j) * nS + s]);
            }
            const want = xs.some((x) => x !== x) || ys.some((y) => y !== y) ? NaN : naive(xs, ys);
            const got = out[r * nS + s];
            assert.ok(close(got, want, TOL[op.name] ?? 1e-9), `${op.name} w=${w} ${ds.name} row ${r} stock ${s}: got ${got}, naive ${want}`);
          }
        }
      }
    }
  });
}

test('window-sum kernels give every window the same bits whatever row the evaluated range starts at (blocks aligned by row0)', () => {
  const nS = 5;
  const rows = 140;
  for (const op of OPERATORS.filter((o) => o.kind === 'rolling' || o.kind === 'pairRolling')) {
    const k = op.kernel;
    for (const w of [2, 7, 20]) {
      const rng = new Rng(w * 31 + op.name.length);
      const a = randomMatrix(rng, rows, nS, { offset: 50, special: true });
      const b = randomMatrix(rng, rows, nS, { offset: 3, special: false });
      const back = k.kind === 'rolling' ? rowsBack(k.rows, w) : w - 1;
      const run = (start: number): Float64Array => {
        const nOut = rows - start - back;
        const out = new Float64Array(nOut * nS);
        const sa = a.subarray(start * nS);
        if (k.kind === 'rolling') k.run(sa, out, nOut, nS, w, start);
        else if (k.kind === 'pairRolling') k.run(sa, b.subarray(start * nS), out, nOut, nS, w, start);
        return out;
      };
      const full = run(0);
      for (const start of [1, 3, w - 1, w + 2]) {
        const part = run(start);
        for (let i = 0; i < part.length; i++) assert.ok(Object.is(part[i], full[i + start * nS]), `${op.name} w=${w} start ${start} cell ${i}: ${part[i]} vs ${full[i + start * nS]}`);
      }
    }
  }
});

/** Elementwise operators (Rank, cross-sectional, has its own test) with their kernels and naive formulas. */
function unaryCases(): { name: string; run: UnaryKernel; naive: (x: number) => number }[] {
  return OPERATORS.filter((o) => o.kind === 'unary' && o.name !== 'Rank').map((op) => {
    if (op.kernel.kind !== 'unary') throw new Error(`${op.name}: not a unary kernel`);
    return { name: op.name, run: op.kernel.run, naive: naiveOf(NAIVE_UNARY, 'NAIVE_UNARY', op) };
  });
}
function binaryCases(): { name: string; run: BinaryKernel; naive: (x: number, y: number) => number }[] {
  return OPERATORS.filter((o) => o.kind === 'binary').map((op) => {
    if (op.kernel.kind !== 'binary') throw new Error(`${op.name}: not a binary kernel`);
    return { name: op.name, run: op.kernel.run, naive: naiveOf(NAIVE_BINARY, 'NAIVE_BINARY', op) };
  });
}

/** The kernel's cell equals the naive formula's: same bits, or both zero. */
const sameCell = (got: number, want: number): boolean => Object.is(got, want) || (got === 0 && want === 0);

/**
 * Relative differences the engine is allowed from the naive formula, by operator (bits otherwise): SLog1p takes
 * log(1 + |x|) above |x| = 1e-4, faster than log1p and within 1.2e-12 of it (the rounding of 1 + |x|).
 */
const ELEMENTWISE_TOL: Record<string, number> = { SLog1p: 1.2e-12 };
const cellMatches = (op: string, got: number, want: number): boolean =>
  sameCell(got, want) || (Number.isFinite(want) && want !== 0 && Math.abs(got - want) <= (ELEMENTWISE_TOL[op] ?? 0) * Math.abs(want));

/** Asserts out[0, n) against want(i); `call(i)` names the cell's call in a failure, e.g. `Add(1,2)`. */
function assertCells(op: string, out: Float64Array, n: number, want: (i: number) => number, call: (i: number) => string, where = ''): void {
  for (let i = 0; i < n; i++) assert.ok(cellMatches(op, out[i], want(i)), `${call(i)} = ${out[i]}, naive ${want(i)}${where} (cell ${i} of ${n})`);
}

test('unary elementwise kernels match Math on special values', () => {
  const xs = Float64Array.from([0, -0, 1, -1, 0.5, -2.5, 1e-300, 1e300, Infinity, -Infinity, NaN, 3, 1e-9, -1e-9]);
  for (const { name, run, naive } of unaryCases()) {
    const out = new Float64Array(xs.length);
    run(xs, out, 1, xs.length);
    assertCells(name, out, xs.length, (i) => naive(xs[i]), (i) => `${name}(${xs[i]})`);
  }
});

test('binary elementwise kernels, with scalars broadcast by stride 0', () => {
  const vals = [0, -0, 1, -1, 0.5, -2.5, 2, Infinity, -Infinity, NaN, 1e-3, -0.01];
  const a: number[] = [];
  const b: number[] = [];
  for (const x of vals) for (const y of vals) (a.push(x), b.push(y));
  const A = Float64Array.from(a);
  const B = Float64Array.from(b);
  for (const { name, run, naive } of binaryCases()) {
    const out = new Float64Array(A.length);
    run(A, 1, B, 1, out, A.length);
    assertCells(name, out, A.length, (i) => naive(A[i], B[i]), (i) => `${name}(${A[i]},${B[i]})`);
    // Scalar exponents include Pow's fast paths (2, 0.5, -1, 1); odd length: the SIMD kernels' scalar tail.
    for (const y of [-0.5, 2, 0.5, -1, 1]) {
      const outS = new Float64Array(A.length - 1);
      run(A, 1, Float64Array.of(y), 0, outS, A.length - 1);
      for (let i = 0; i < A.length - 1; i++) assert.ok(Object.is(outS[i], naive(A[i], y)), `${name}(${A[i]},${y}) = ${outS[i]}`);
    }
  }
  assert.equal(cPow(1, NaN), 1, 'C pow: 1^NaN = 1');
  assert.equal(cPow(-1, Infinity), 1);
  assert.ok(Number.isNaN(cPow(-8, 1 / 3)));
});

/** Random cells for the elementwise kernels: every scale and sign, NaN, ±inf, ±0, tiny and huge values, ties. */
function randomCells(rng: Rng, n: number): Float64Array {
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    const sign = rng.next() < 0.4 ? -1 : 1;
    if (u < 0.06) xs[i] = NaN;
    else if (u < 0.08) xs[i] = sign * Infinity;
    else if (u < 0.1) xs[i] = sign * 0;
    else if (u < 0.13) xs[i] = sign * Math.round(rng.normal() * 3); // small integers: ties, Pow's integer exponents, 1 and -1
    else if (u < 0.15) xs[i] = sign * Math.exp(700 * rng.next()); // up to 1e304: products and powers overflow
    else if (u < 0.17) xs[i] = sign * Math.exp(-745 * rng.next()); // down to subnormals
    else if (u < 0.25) xs[i] = sign * rng.next() * 1e-3; // near zero: Log's and SLog1p's small-argument paths
    else xs[i] = sign * Math.exp(8 * rng.normal()); // log-normal, prices and volumes alike
  }
  return xs;
}

test('unary elementwise kernels match the naive formula on random data with NaNs, every length (SIMD groups and scalar tails)', () => {
  const rng = new Rng(41);
  for (const { name, run, naive } of unaryCases()) {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 4096 + 3]) {
      const xs = randomCells(rng, n);
      const out = new Float64Array(n).fill(-12345);
      run(xs, out, 1, n);
      assertCells(name, out, n, (i) => naive(xs[i]), (i) => `${name}(${xs[i]})`);
    }
  }
});

test('binary elementwise kernels match the naive formula on random data with NaNs: both operands arrays, or either one a broadcast scalar', () => {
  const rng = new Rng(43);
  for (const { name, run, naive } of binaryCases()) {
    for (const n of [1, 2, 3, 5, 8, 17, 33, 4096 + 1]) {
      const a = randomCells(rng, n);
      const b = randomCells(rng, n);
      const out = new Float64Array(n).fill(-12345);
      run(a, 1, b, 1, out, n);
      assertCells(name, out, n, (i) => naive(a[i], b[i]), (i) => `${name}(${a[i]},${b[i]})`);
      // A scalar on either side, as the evaluator passes a constant operand: the vocabulary's constants and a random cell.
      for (const c of [...CONSTANTS, b[0]]) {
        out.fill(-12345);
        run(a, 1, Float64Array.of(c), 0, out, n);
        assertCells(name, out, n, (i) => naive(a[i], c), (i) => `${name}(${a[i]},${c})`, ', scalar right');
        out.fill(-12345);
        run(Float64Array.of(c), 0, a, 1, out, n);
        assertCells(name, out, n, (i) => naive(c, a[i]), (i) => `${name}(${c},${a[i]})`, ', scalar left');
      }
    }
  }
});

test('Rank: ascending, ties in stock order, position / n over non-NaN values, NaN stays NaN', () => {
  const rank = OPERATORS.find((o) => o.name === 'Rank')?.kernel;
  if (!rank || rank.kind !== 'unary') return assert.fail();
  const rng = new Rng(5);
  // Narrow and wide rows: mixed scales and signs, positive values, values
  // crowded below an outlier, ties, values that differ only in their last
  // bits, constant rows (every path of the radix sort).
  for (const nS of [13, 33, 700]) {
    const rows = 40;
    const src = new Float64Array(rows * nS);
    for (let i = 0; i < src.length; i++) {
      const u = rng.next();
      const r = Math.floor(i / nS);
      if (r % 6 === 1) src[i] = u < 0.05 ? NaN : Math.exp(8 * rng.normal()) * (rng.next() < 0.3 ? -1 : 1); // log-normal, both signs
      else if (r % 6 === 2) src[i] = 1 + rng.int(40) * 2 ** -52; // one high word
      else if (r % 6 === 3) src[i] = u < 0.05 ? NaN : Math.exp(14 + 2 * rng.normal()); // positive: volumes
      else if (r % 6 === 4) {
        // Crowded below one outlier: distinct, tied, or tied with both signs.
        const sign = r % 18 === 16 && rng.next() < 0.5 ? -1 : 1;
        src[i] = i % nS === 5 ? 1e300 : sign * (1 + (r % 12 === 4 ? rng.next() * 2 ** -30 : rng.int(64) * 2 ** -40));
      }
      else src[i] = u < 0.1 ? NaN : u < 0.4 ? rng.int(4) : u < 0.45 ? (rng.next() < 0.5 ? -Infinity : Infinity) : u < 0.5 ? -0 : rng.normal();
    }
    for (let s = 0; s < nS; s++) src[3 * nS + s] = NaN; // a row with no value
    for (let s = 0; s < nS; s++) src[7 * nS + s] = s % 2 ? 0 : -0; // one value
    const out = new Float64Array(src.length);
    rank.run(src, out, rows, nS);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(src.subarray(r * nS, (r + 1) * nS));
      const valid = row.map((x, s) => ({ x, s })).filter((e) => e.x === e.x);
      const order = [...valid].sort((p, q) => (p.x < q.x ? -1 : p.x > q.x ? 1 : p.s - q.s));
      const want = new Array<number>(nS).fill(NaN);
      order.forEach((e, pos) => (want[e.s] = pos / valid.length));
      for (let s = 0; s < nS; s++) assert.ok(Object.is(out[r * nS + s], want[s]), `${nS} stocks, row ${r} stock ${s}: ${out[r * nS + s]} vs ${want[s]}`);
    }
  }
});

test('TsMed: a zero median is +0 (no -0 left behind when +0 leaves the window), in both the four- and two-stock paths', async () => {
  const { tsMedKernel } = await import('../src/expr/kernels/compiled.js');
  // five stocks (four together, one alone), the same column each: -0, 0, 1, 0
  const col = [-0, 0, 1, 0];
  const nS = 5;
  const src = new Float64Array(col.length * nS);
  col.forEach((x, r) => src.fill(x, r * nS, (r + 1) * nS));
  const out = new Float64Array(3 * nS).fill(NaN);
  tsMedKernel(src, out, 3, nS, 2);
  // windows {-0, 0}, {0, 1}, {1, 0}: lower medians 0, 0, 0, all +0 (1 / m = +Infinity)
  for (let i = 0; i < out.length; i++) assert.ok(Object.is(out[i], 0), `cell ${i}: ${out[i]}`);
});
