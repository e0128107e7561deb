/**
 * Weights of a linear alpha pool (SPEC §4): minimise
 *   f(w) = w'Mw - 2 w'ic + 1 + l1 * |w|_1
 * where M is the members' mutual-IC matrix (ones on the diagonal) and ic their
 * ICs with the target. w'Mw - 2w'ic + 1 is the mean squared error between the
 * normalized target and the combination, up to the per-day IC approximation.
 * Matrices are packed row-major n x n Float64Arrays. Pools are tiny (n <= ~100),
 * so plain loops are the right tool.
 */
import { Matrix, solve } from 'ml-matrix';

export const DEFAULT_L1 = 5e-3;

/** f(w) = w'Mw - 2 w'ic + 1 + l1 |w|_1. */
export function poolObjective(M: Float64Array, ic: ArrayLike<number>, w: ArrayLike<number>, l1 = DEFAULT_L1): number {
  const n = w.length;
  let quad = 0;
  let lin = 0;
  let abs = 0;
  for (let i = 0; i < n; i++) {
    let mw = 0;
    for (let j = 0; j < n; j++) mw += M[i * n + j] * w[j];
    quad += w[i] * mw;
    lin += w[i] * ic[i];
    abs += Math.abs(w[i]);
  }
  return quad - 2 * lin + 1 + l1 * abs;
}

export interface AdamOptions {
  /** L1 coefficient (5e-3). */
  l1?: number;
  /** Adam learning rate (5e-4). */
  lr?: number;
  /** Stop after this many steps without a new best objective (500). */
  patience?: number;
  /** Hard limit on steps (10,000). */
  maxSteps?: number;
}

export interface AdamResult {
  /** The weights with the lowest objective seen. */
  weights: Float64Array;
  objective: number;
  steps: number;
}

/**
 * The AlphaGen procedure: Adam (torch defaults: betas 0.9/0.999, eps 1e-8) on
 * f from `init`, stopping after `patience` steps without improvement or at
 * `maxSteps`. The L1 subgradient is sign(w) (0 at 0), as torch's |w|_1 gives.
 * Returns the best weights seen (the reference returns the last ones by an
 * aliasing slip; the best is what it meant).
 */
export function adamWeights(M: Float64Array, ic: ArrayLike<number>, init: ArrayLike<number>, opts: AdamOptions = {}): AdamResult {
  const l1 = opts.l1 ?? DEFAULT_L1;
  const lr = opts.lr ?? 5e-4;
  const patience = opts.patience ?? 500;
  const maxSteps = opts.maxSteps ?? 10_000;
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  const n = init.length;
  const w = Float64Array.from(init);
  const best = Float64Array.from(init);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const mw = new Float64Array(n);
  let bestObj = Infinity;
  let sinceBest = 0;
  let steps = 0;
  let b1t = 1;
  let b2t = 1;
  for (;;) {
    // Objective at the current point (and M w for the gradient).
    let quad = 0;
    let lin = 0;
    let abs = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += M[i * n + j] * w[j];
      mw[i] = s;
      quad += w[i] * s;
      lin += w[i] * ic[i];
      abs += Math.abs(w[i]);
    }
    const obj = quad - 2 * lin + 1 + l1 * abs;
    if (obj < bestObj) {
      bestObj = obj;
      best.set(w);
      sinceBest = 0;
    } else if (++sinceBest >= patience) break;
    if (steps >= maxSteps) break;
    steps++;
    b1t *= beta1;
    b2t *= beta2;
    const stepSize = lr / (1 - b1t);
    const sqrtBc2 = Math.sqrt(1 - b2t);
    for (let i = 0; i < n; i++) {
      const wi = w[i];
      const g = 2 * mw[i] - 2 * ic[i] + l1 * (wi > 0 ? 1 : wi < 0 ? -1 : 0);
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      w[i] = wi - (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtBc2 + eps);
    }
  }
  return { weights: best, objective: bestObj, steps };
}

/** Exact minimiser of w'Mw - 2w'ic (M w = ic), by LU; SVD (minimum-norm) when M is singular. */
export function leastSquaresWeights(M: Float64Array, ic: ArrayLike<number>): Float64Array {
  const n = ic.length;
  if (n === 0) return new Float64Array(0);
  const A = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A.set(i, j, M[i * n + j]);
  const b = Matrix.columnVector(Array.from(ic));
  let x: Matrix | undefined;
  try {
    x = solve(A, b);
  } catch {
    x = undefined; // singular: fall through to the SVD solve
  }
  if (!x || x.to1DArray().some((v) => !Number.isFinite(v))) x = solve(A, b, true);
  return Float64Array.from(x.to1DArray());
}

/**
 * The exact minimiser of f (with the L1 term): cyclic coordinate descent
 * (soft-thresholding; converges for positive definite M), then the support and
 * signs it found are solved exactly (M_SS w_S = ic_S - l1/2 sign_S) and the
 * result kept when it satisfies the optimality conditions. Used to check the
 * Adam procedure and as the `exact-l1` solver.
 */
export function exactL1Weights(M: Float64Array, ic: ArrayLike<number>, l1 = DEFAULT_L1, maxSweeps = 100_000): Float64Array {
  const n = ic.length;
  const w = new Float64Array(n);
  const half = l1 / 2;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let maxChange = 0;
    for (let i = 0; i < n; i++) {
      let r = ic[i];
      for (let j = 0; j < n; j++) if (j !== i) r -= M[i * n + j] * w[j];
      const mii = M[i * n + i];
      const wi = r > half ? (r - half) / mii : r < -half ? (r + half) / mii : 0;
      maxChange = Math.max(maxChange, Math.abs(wi - w[i]));
      w[i] = wi;
    }
    if (maxChange < 1e-15) break;
  }
  // Polish: solve the reduced system on the support exactly.
  const support: number[] = [];
  for (let i = 0; i < n; i++) if (w[i] !== 0) support.push(i);
  if (support.length === 0) return w;
  const k = support.length;
  const Ms = new Float64Array(k * k);
  const rhs = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) Ms[a * k + b] = M[support[a] * n + support[b]];
    rhs[a] = ic[support[a]] - half * Math.sign(w[support[a]]);
  }
  const ws = leastSquaresWeights(Ms, rhs);
  const polished = new Float64Array(n);
  for (let a = 0; a < k; a++) polished[support[a]] = ws[a];
  const signsKept = support.every((i) => Math.sign(polished[i]) === Math.sign(w[i]));
  if (signsKept && poolObjective(M, ic, polished, l1) <= poolObjective(M, ic, w, l1)) return polished;
  return w;
}

/** Optimality gap of f at w: max over coordinates of the distance of 0 from the subdifferential (0 at the optimum). */
export function l1OptimalityGap(M: Float64Array, ic: ArrayLike<number>, w: ArrayLike<number>, l1 = DEFAULT_L1): number {
  const n = w.length;
  let gap = 0;
  for (let i = 0; i < n; i++) {
    let g = -2 * ic[i];
    for (let j = 0; j < n; j++) g += 2 * M[i * n + j] * w[j];
    const r = w[i] > 0 ? Math.abs(g + l1) : w[i] < 0 ? Math.abs(g - l1) : Math.max(0, Math.abs(g) - l1);
    gap = Math.max(gap, r);
  }
  return gap;
}
