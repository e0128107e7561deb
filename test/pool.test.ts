/**
 * Pools on hand-made data where every IC is a count of days: on 4 stocks the
 * patterns a = [1,-1,1,-1], b = [1,1,-1,-1], c = [1,-1,-1,1] are already
 * normalized (mean 0, population std 1) and mutually orthogonal, and a
 * constant day ('0') normalizes to zeros. So the daily IC of two alphas is +1
 * (same pattern), -1 (negated, upper case) or 0, and an IC is (#agree -
 * #opposed) / nDays, exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dailyIC, meanNanAsZero, normalizeByDay, alphaIC } from '../src/metrics/index.js';
import { Rng } from '../src/util/rng.js';
import { GfnPool } from '../src/pool/gfn.js';
import { LinearPool } from '../src/pool/linear.js';
import { consistencyReward } from '../src/pool/consistency.js';
import { meanDailyIC, normalizeAlpha } from '../src/pool/normalized.js';
import { adamWeights, exactL1Weights, l1OptimalityGap, leastSquaresWeights, poolObjective } from '../src/pool/weights.js';

const N_STOCKS = 4;
const PATTERNS: Record<string, number[]> = {
  a: [1, -1, 1, -1],
  b: [1, 1, -1, -1],
  c: [1, -1, -1, 1],
  '0': [5, 5, 5, 5],
};

/** Raw values from one letter per day (upper case = negated pattern). */
function days(codes: string): Float64Array {
  const out = new Float64Array(codes.length * N_STOCKS);
  [...codes].forEach((ch, d) => {
    const lower = ch.toLowerCase();
    const sign = ch === lower ? 1 : -1;
    PATTERNS[lower].forEach((v, s) => (out[d * N_STOCKS + s] = lower === '0' ? v : sign * v));
  });
  return out;
}

const emb = (...xs: number[]) => Float32Array.from(xs);
const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);

function gfnPool(capacity: number, nDays: number, extra: { icGate?: number; admitFlat?: boolean } = {}): GfnPool {
  return new GfnPool({ capacity, target: days('a'.repeat(nDays)), nDays, nStocks: N_STOCKS, ...extra });
}

test('hand data: the IC kernel gives exact day counts', () => {
  const x = normalizeAlpha(days('aaaccccccc'), 10, N_STOCKS);
  const y = normalizeAlpha(days('aaaaabbbbb'), 10, N_STOCKS);
  assert.equal(meanDailyIC(x, y, 10, N_STOCKS), 0.3);
  assert.equal(meanDailyIC(y, x, 10, N_STOCKS), 0.3);
  const z = normalizeAlpha(days('AAA0000000'), 10, N_STOCKS);
  assert.equal(meanDailyIC(z, y, 10, N_STOCKS), -0.3);
});

test('GFN pool: novelty of an empty pool is 1, the first alpha is admitted', () => {
  const pool = gfnPool(3, 10);
  const r = pool.tryAdd('A', days('aaaaabbbbb'), emb(0, 0));
  assert.deepEqual(r, { ic: 0.5, novelty: 1, consistency: 0, admitted: true });
  assert.equal(pool.size, 1);
  assert.equal(pool.members()[0].ic, 0.5);
});

test('GFN pool: the gate admits |mutual IC| exactly 0.3 and rejects above', () => {
  const pool = gfnPool(5, 10);
  pool.tryAdd('M1', days('aaaaabbbbb'), emb(0));
  // 3 agreeing days of 10 with M1: mutual IC exactly 0.3 -> admitted.
  const atGate = pool.tryAdd('X', days('aaaccccccc'), emb(1));
  assert.equal(atGate.admitted, true);
  assert.equal(atGate.ic, 0.3);
  assert.equal(atGate.novelty, 1 - 0.3);
  assert.equal(pool.mutualIC(0, 1), 0.3);
  assert.equal(pool.mutualIC(1, 0), 0.3);
  // 4 agreeing days with M1 (0.4) -> rejected, but ic and novelty are still reported.
  const above = pool.tryAdd('Y', days('aaaa000000'), emb(2));
  assert.equal(above.admitted, false);
  assert.equal(above.ic, 0.4);
  assert.equal(above.novelty, 1 - 0.4);
  // Mutual ICs -0.3 (with M1) and -0.3 (with X): |.| = 0.3 passes; IC -0.3 is returned as 0.3.
  const negative = pool.tryAdd('Z', days('AAA0000000'), emb(3));
  assert.equal(negative.admitted, true);
  assert.equal(negative.ic, 0.3);
  assert.equal(negative.novelty, 1 - 0.3);
  assert.equal(pool.mutualIC(2, 0), -0.3);
  assert.deepEqual(pool.members().map((m) => m.expr), ['M1', 'X', 'Z']);
});

test('GFN pool: when full, the lowest |IC| member is replaced only by a higher |IC|', () => {
  const pool = gfnPool(2, 10);
  pool.tryAdd('M1', days('aaaaabbbbb'), emb(0)); // IC 0.5
  pool.tryAdd('M2', days('abbbbccccc'), emb(1)); // IC 0.1, mutual with M1 0.1
  assert.equal(pool.size, 2);
  // |IC| 0.1 is not higher than the weakest member's 0.1: rejected although the gate passes.
  const equal = pool.tryAdd('E', days('a000000000'), emb(2));
  assert.equal(equal.admitted, false);
  assert.equal(equal.ic, 0.1);
  assert.equal(equal.novelty, 1 - 0.1);
  // IC -0.2: |IC| 0.2 > 0.1, mutual ICs -0.2 (M1) and -0.1 (M2): replaces M2 in its slot.
  const better = pool.tryAdd('N', days('AA00000000'), emb(3));
  assert.equal(better.admitted, true);
  assert.equal(better.replaced, 'M2');
  assert.equal(better.ic, 0.2);
  assert.equal(better.novelty, 1 - 0.2);
  assert.deepEqual(pool.members().map((m) => [m.expr, m.ic]), [['M1', 0.5], ['N', -0.2]]);
  assert.equal(pool.mutualIC(0, 1), -0.2);
  assert.equal(pool.mutualIC(1, 0), -0.2);
  assert.equal(pool.mutualIC(1, 1), 1);
  // Higher |IC| but the gate fails (mutual 0.4 with M1): the full pool keeps its members.
  const blocked = pool.tryAdd('G', days('aaaaaa0000'), emb(4));
  assert.equal(blocked.admitted, false);
  assert.equal(blocked.ic, 0.6);
  assert.deepEqual(pool.members().map((m) => m.expr), ['M1', 'N']);
});

test('GFN pool: a near-duplicate gets ic 0 and novelty 0 (SPEC defect fix), and is not admitted', () => {
  const pool = gfnPool(3, 10);
  pool.tryAdd('M1', days('aaaaabbbbb'), emb(0));
  const dup = pool.tryAdd('M1 again', days('aaaaabbbbb'), emb(1));
  assert.equal(dup.admitted, false);
  assert.equal(dup.ic, 0);
  assert.equal(dup.novelty, 0);
  assert.equal(dup.duplicateOf, 'M1');
  // A negated copy is not a near-duplicate (signed test), but the gate rejects it: novelty 1 - 1 = 0.
  const neg = pool.tryAdd('-M1', days('AAAAABBBBB'), emb(2));
  assert.equal(neg.admitted, false);
  assert.equal(neg.ic, 0.5);
  assert.equal(neg.novelty, 0);
  assert.equal(pool.size, 1);
});

test('GFN pool: a constant alpha (no spread on any day) gets ic 0 and novelty 0, and is not admitted', () => {
  const pool = gfnPool(3, 10);
  const flat = pool.tryAdd('Const', new Float64Array(10 * N_STOCKS).fill(7), emb(0));
  assert.equal(flat.admitted, false);
  assert.equal(flat.ic, 0);
  assert.equal(flat.novelty, 0);
  assert.equal(pool.size, 0);
  // Flat on some days only is still an alpha.
  const partly = days('aaaaabbbbb');
  partly.fill(3, 0, 2 * N_STOCKS);
  assert.equal(pool.tryAdd('Partly flat', partly, emb(1)).admitted, true);
  // As published (SPEC §4, --admit-flat-alphas): admitted while the gate passes, with novelty 1 - 0 = 1.
  const published = gfnPool(3, 10, { admitFlat: true });
  const flatPublished = published.tryAdd('Const', new Float64Array(10 * N_STOCKS).fill(7), emb(0));
  assert.deepEqual([flatPublished.admitted, flatPublished.ic, flatPublished.novelty], [true, 0, 1]);
  assert.equal(published.size, 1);
});

// Consistency: 2 days x 4 stocks. Mean squared differences of normalized
// patterns per day: same 0, orthogonal (a vs b, a vs c, b vs c) 2, negated 4.
test('consistency: 0 members -> 0', () => {
  const q = normalizeAlpha(days('aa'), 2, N_STOCKS).values;
  assert.equal(consistencyReward(q, emb(0, 0), [], 2, N_STOCKS), 0);
  assert.equal(gfnPool(3, 2).consistencyOf(q, emb(0, 0)), 0);
});

test('consistency: 1 member -> 0 (the first admission, and a rejection next to a single member)', () => {
  const pool = gfnPool(3, 2);
  assert.equal(pool.tryAdd('N1', days('ab'), emb(0.25, 0)).consistency, 0);
  // Rejected by the gate (mutual 0.5): the pool still has one member, so 0 although a neighbour exists.
  const r = pool.tryAdd('Q', days('aa'), emb(0, 0));
  assert.equal(r.admitted, false);
  assert.equal(r.consistency, 0);
});

test('consistency: 2 members -> exp(-msd) with the only other member (itself skipped at distance 0)', () => {
  const pool = gfnPool(3, 2, { icGate: 1 });
  pool.tryAdd('N1', days('ab'), emb(0.25, 0));
  const r = pool.tryAdd('Q', days('aa'), emb(0, 0));
  assert.equal(r.admitted, true);
  // msd(aa, ab) = (0 + 2) / 2 = 1, one neighbour with weight 1.
  close(r.consistency, Math.exp(-1), 1e-15);
});

test('consistency: 4 members -> softmax(-d^2/0.1) over the 3 others by hand', () => {
  const pool = gfnPool(5, 2, { icGate: 1 });
  pool.tryAdd('N1', days('ab'), emb(0.25, 0)); // msd with aa: (0 + 2) / 2 = 1, d^2 = 0.0625
  pool.tryAdd('N2', days('AA'), emb(0, 0.5)); // msd 4, d^2 = 0.25
  pool.tryAdd('N3', days('bc'), emb(0.75, 0)); // msd 2, d^2 = 0.5625
  const r = pool.tryAdd('Q', days('aa'), emb(0, 0));
  assert.equal(r.admitted, true);
  assert.equal(pool.size, 4);
  const e = [Math.exp(-0.625), Math.exp(-2.5), Math.exp(-5.625)];
  const s = e[0] + e[1] + e[2];
  const loss = (e[0] / s) * 1 + (e[1] / s) * 4 + (e[2] / s) * 2;
  close(r.consistency, Math.exp(-loss), 1e-15);
  // A rejected near-duplicate of Q still gets its consistency from the 3 nearest of the 4 members.
  const dup = pool.tryAdd('Q2', days('aa'), emb(0, 0.125));
  assert.deepEqual([dup.admitted, dup.ic, dup.novelty], [false, 0, 0]);
  // d^2: Q 0.015625 (msd 0), N1 0.078125 (msd 1), N2 0.140625 (msd 4); N3 0.578125 is 4th.
  const f = [Math.exp(-0.15625), Math.exp(-0.78125), Math.exp(-1.40625)];
  const fs = f[0] + f[1] + f[2];
  close(dup.consistency, Math.exp(-((f[0] * 0 + f[1] * 1 + f[2] * 4) / fs)), 1e-15);
});

test('consistency: only the k = 3 nearest count, and equal embeddings are skipped', () => {
  const pool = gfnPool(6, 2, { icGate: 1 });
  pool.tryAdd('N1', days('ab'), emb(0.25, 0));
  pool.tryAdd('N2', days('AA'), emb(0, 0.5));
  pool.tryAdd('N3', days('bc'), emb(0.75, 0));
  pool.tryAdd('FAR', days('cb'), emb(4, 0)); // 4th nearest: ignored
  pool.tryAdd('TWIN', days('0a'), emb(0, 0)); // same embedding as Q: skipped
  const q = normalizeAlpha(days('aa'), 2, N_STOCKS).values;
  const e = [Math.exp(-0.625), Math.exp(-2.5), Math.exp(-5.625)];
  const s = e[0] + e[1] + e[2];
  close(pool.consistencyOf(q, emb(0, 0)), Math.exp(-((e[0] * 1 + e[1] * 4 + e[2] * 2) / s)), 1e-15);
});

// ---------------------------------------------------------------------------
// Random data: kernels against the metrics module, incremental matrices.

function randomPanel(rng: Rng, nDays: number, nStocks: number, nanShare = 0.05): Float64Array {
  const x = new Float64Array(nDays * nStocks);
  for (let i = 0; i < x.length; i++) x[i] = rng.next() < nanShare ? NaN : rng.normal();
  // A constant day and an all-NaN day: both normalize to zeros.
  x.fill(3, 0, nStocks);
  if (nDays > 2) x.fill(NaN, nStocks, 2 * nStocks);
  return x;
}

/** target + noise * scale: alphas correlated with the target. */
function noisyCopy(rng: Rng, target: Float64Array, scale: number): Float64Array {
  return target.map((v) => (v === v ? v : 0) + scale * rng.normal());
}

test('meanDailyIC equals mean(dailyIC) of the normalized values', () => {
  const rng = new Rng(7);
  const nDays = 40;
  const nStocks = 37;
  const a = randomPanel(rng, nDays, nStocks);
  const b = randomPanel(rng, nDays, nStocks, 0.3);
  const expected = meanNanAsZero(dailyIC(normalizeByDay(a, nDays, nStocks), normalizeByDay(b, nDays, nStocks), nDays, nStocks));
  close(meanDailyIC(normalizeAlpha(a, nDays, nStocks), normalizeAlpha(b, nDays, nStocks), nDays, nStocks), expected, 1e-14);
  close(alphaIC(a, b, nDays, nStocks), expected, 0);
});

test('GFN pool: incremental mutual-IC matrix equals a full recompute after adds and replacements', () => {
  const rng = new Rng(11);
  const nDays = 30;
  const nStocks = 25;
  const target = randomPanel(rng, nDays, nStocks);
  const pool = new GfnPool({ capacity: 4, target, nDays, nStocks, icGate: 1 });
  let replaced = 0;
  for (let i = 0; i < 12; i++) {
    const r = pool.tryAdd(`x${i}`, noisyCopy(rng, target, 1 + 3 * rng.next()), emb(rng.next(), rng.next()));
    if (r.replaced) replaced++;
  }
  assert.ok(replaced > 0, 'the scenario must exercise replacement');
  const members = pool.members();
  for (let i = 0; i < members.length; i++) {
    close(members[i].ic, alphaIC(members[i].normalized, target, nDays, nStocks), 1e-14);
    for (let j = 0; j < members.length; j++) {
      const direct = i === j ? 1 : meanNanAsZero(dailyIC(members[i].normalized, members[j].normalized, nDays, nStocks));
      close(pool.mutualIC(i, j), direct, 1e-14);
    }
  }
  // fitWeights solves M w = ic (signed ICs).
  const w = pool.fitWeights();
  const M = Float64Array.from(pool.mutualMatrix().flat());
  const lhs = members.map((_, i) => members.reduce((s, __, j) => s + M[i * members.length + j] * w[j], 0));
  lhs.forEach((v, i) => close(v, members[i].ic, 1e-12));
});

test('weights: Adam reaches the exact L1 optimum within 1e-6; LS solves M w = ic', () => {
  const rng = new Rng(3);
  for (const n of [1, 3, 8, 20]) {
    // A random correlation matrix from random factor loadings.
    const T = 60;
    const X = Array.from({ length: n }, () => Array.from({ length: T }, () => rng.normal()));
    const common = Array.from({ length: T }, () => rng.normal());
    for (const x of X) {
      const share = 0.7 * rng.next();
      for (let t = 0; t < T; t++) x[t] = (1 - share) * x[t] + share * common[t];
    }
    const norms = X.map((x) => Math.hypot(...x));
    const M = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) M[i * n + j] = i === j ? 1 : X[i].reduce((s, v, t) => s + v * X[j][t], 0) / norms[i] / norms[j];
    const ic = Array.from({ length: n }, () => 0.1 * (rng.next() - 0.5));
    const exact = exactL1Weights(M, ic);
    assert.ok(l1OptimalityGap(M, ic, exact) < 1e-12, `exact L1 solution is optimal (n=${n})`);
    const adam = adamWeights(M, ic, ic);
    assert.ok(adam.steps <= 10_000);
    close(adam.objective, poolObjective(M, ic, adam.weights), 1e-15);
    const gap = adam.objective - poolObjective(M, ic, exact);
    assert.ok(gap >= -1e-12 && gap < 1e-6, `Adam gap ${gap} (n=${n})`);
    const ls = leastSquaresWeights(M, ic);
    for (let i = 0; i < n; i++) close(ls.reduce((s, v, j) => s + M[i * n + j] * v, 0), ic[i], 1e-12);
  }
});

test('linear pool: duplicate rejected with reward 0; smallest |weight| evicted past capacity; ensemble IC direct', () => {
  const rng = new Rng(5);
  const nDays = 30;
  const nStocks = 40;
  const target = randomPanel(rng, nDays, nStocks);
  const tgt = normalizeAlpha(target, nDays, nStocks);
  const pool = new LinearPool({ capacity: 3, target, nDays, nStocks, solver: 'lstsq' });
  const raws = new Map<string, Float64Array>();
  const make = (name: string, scale: number) => {
    const raw = noisyCopy(rng, target, scale);
    raws.set(name, raw);
    return raw;
  };
  const add = (name: string, scale: number) => pool.tryAdd(name, make(name, scale));
  const first = add('r0', 0.8);
  assert.equal(first.admitted, true);
  close(first.reward, alphaIC(raws.get('r0') as Float64Array, target, nDays, nStocks), 1e-14); // one member: the ensemble is the alpha
  const dup = pool.tryAdd('r0 scaled', (raws.get('r0') as Float64Array).map((v) => 2 * v + 1));
  assert.deepEqual([dup.admitted, dup.rejectedBecause, dup.reward], [false, 'duplicate', 0]);
  add('r1', 1.5);
  add('r2', 3);
  assert.equal(pool.size, 3);

  /** Least-squares weights of these alphas computed from scratch. */
  const lsWeights = (names: string[]) => {
    const al = names.map((n) => normalizeAlpha(raws.get(n) as Float64Array, nDays, nStocks));
    const k = names.length;
    const M = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) M[i * k + j] = i === j ? 1 : meanDailyIC(al[i], al[j], nDays, nStocks);
    return Array.from(leastSquaresWeights(M, al.map((a) => meanDailyIC(a, tgt, nDays, nStocks))));
  };
  const evictions = { existing: 0, newcomer: 0 };
  for (const [name, scale] of [['r3', 0.5], ['r4', 30], ['r5', 0.7]] as const) {
    const before = pool.members().map((m) => m.expr);
    const raw = make(name, scale);
    const w4 = lsWeights([...before, name]);
    const worst = w4.reduce((best, v, i) => (Math.abs(v) < Math.abs(w4[best]) ? i : best), 0);
    const r = pool.tryAdd(name, raw);
    assert.equal(pool.size, 3);
    if (worst === 3) {
      evictions.newcomer++;
      assert.deepEqual([r.admitted, r.rejectedBecause, r.evicted], [false, 'evicted', undefined]);
      assert.deepEqual(pool.members().map((m) => m.expr), before);
    } else {
      evictions.existing++;
      assert.deepEqual([r.admitted, r.evicted], [true, before[worst]]);
      // The newcomer takes the slot of the member that left.
      const expected = before.slice();
      expected[worst] = name;
      assert.deepEqual(pool.members().map((m) => m.expr), expected);
    }
    // The weights are the LS optimum of the members that stayed, and the reward is the IC of their combination.
    const kept = pool.members();
    const wk = lsWeights(kept.map((m) => m.expr));
    kept.forEach((m, i) => close(m.weight, wk[i], 1e-12));
    const combined = new Float64Array(nDays * nStocks);
    kept.forEach((m) => m.normalized.forEach((v, c) => (combined[c] += m.weight * v)));
    close(r.reward, alphaIC(combined, target, nDays, nStocks), 1e-12);
    close(pool.ensembleIC, r.reward, 0);
  }
  assert.ok(evictions.existing > 0 && evictions.newcomer > 0, `both eviction paths exercised: ${JSON.stringify(evictions)}`);
});

test('linear pool: Adam weights are within 1e-6 of the exact L1 optimum; file round trip rebuilds the same pool', () => {
  const rng = new Rng(9);
  const nDays = 25;
  const nStocks = 30;
  const target = randomPanel(rng, nDays, nStocks);
  const raws = new Map<string, Float64Array>();
  const pool = new LinearPool({ capacity: 10, target, nDays, nStocks });
  for (let i = 0; i < 6; i++) {
    const raw = noisyCopy(rng, target, 2 + 4 * rng.next());
    raws.set(`a${i}`, raw);
    pool.tryAdd(`a${i}`, raw);
  }
  assert.equal(pool.size, 6);
  const M = Float64Array.from(pool.mutualMatrix().flat());
  const ic = pool.members().map((m) => m.ic);
  const optimum = poolObjective(M, ic, exactL1Weights(M, ic));
  const gap = pool.objective() - optimum;
  assert.ok(gap >= -1e-12 && gap < 1e-6, `gap ${gap}`);
  const rebuilt = LinearPool.fromPoolFile(pool.toPoolFile(), { capacity: 10, target, nDays, nStocks }, (e) => raws.get(e) as Float64Array);
  assert.deepEqual(rebuilt.toPoolFile(), pool.toPoolFile());
  assert.equal(rebuilt.ensembleIC, pool.ensembleIC);
});

test('GFN pool: rebuilt from its pool file, it is the same pool and behaves identically', () => {
  const rng = new Rng(21);
  const nDays = 20;
  const nStocks = 30;
  const target = randomPanel(rng, nDays, nStocks);
  const opts = { capacity: 5, target, nDays, nStocks, icGate: 0.6 };
  const pool = new GfnPool(opts);
  const raws = new Map<string, Float64Array>();
  const randomEmbedding = () => Float32Array.from({ length: 8 }, () => rng.normal());
  for (let i = 0; i < 9; i++) {
    const raw = noisyCopy(rng, target, 1 + 4 * rng.next());
    raws.set(`x${i}`, raw);
    pool.tryAdd(`x${i}`, raw, randomEmbedding());
  }
  const file = pool.toPoolFile({ seed: 3, window: { start: '2015-01-02', end: '2015-02-02', universe: 'all' } });
  const rebuilt = GfnPool.fromPoolFile(JSON.parse(JSON.stringify(file)), opts, (e) => raws.get(e) as Float64Array);
  assert.deepEqual(rebuilt.toPoolFile(), pool.toPoolFile());
  for (let i = 0; i < 6; i++) {
    const raw = noisyCopy(rng, target, 1 + 4 * rng.next());
    const e = randomEmbedding();
    assert.deepEqual(rebuilt.tryAdd(`y${i}`, raw, e), pool.tryAdd(`y${i}`, raw, e));
  }
  assert.deepEqual(rebuilt.toPoolFile(), pool.toPoolFile());
});

test('GFN pool: staged windows (stage, prepareStaged, tryStaged in order) give exactly the results of one-by-one tries', () => {
  const rng = new Rng(33);
  const nDays = 24;
  const nStocks = 31;
  const target = randomPanel(rng, nDays, nStocks);
  const opts = { capacity: 4, target, nDays, nStocks, icGate: 0.7 };
  const oneByOne = new GfnPool(opts);
  const staged = new GfnPool({ ...opts, stageCapacity: 6 });
  const randomEmbedding = () => Float32Array.from({ length: 8 }, () => rng.normal());
  let admittedMidWindow = 0;
  let replacedMidWindow = 0;
  let duplicates = 0;
  for (let window = 0; window < 5; window++) {
    const size = 1 + (window % 3) * 2 + (window === 4 ? 1 : 0); // 1, 3, 5, 1, 4 candidates
    const batch: { expr: string; raw: Float64Array; embedding: Float32Array }[] = [];
    for (let k = 0; k < size; k++) {
      // The third of a window nearly repeats the second (a near-duplicate when that one was admitted mid-window).
      const raw = k === 2 ? noisyCopy(rng, batch[1].raw, 1e-9) : noisyCopy(rng, target, 0.5 + 4 * rng.next());
      batch.push({ expr: `w${window}c${k}`, raw, embedding: randomEmbedding() });
    }
    const handles = batch.map((c) => staged.stage(c.raw));
    staged.prepareStaged();
    batch.forEach((c, k) => {
      const want = oneByOne.tryAdd(c.expr, c.raw, c.embedding);
      const got = staged.tryStaged(handles[k], c.expr, c.embedding);
      assert.deepEqual(got, want, `window ${window} candidate ${k}`);
      if (k < batch.length - 1 && got.admitted) admittedMidWindow++;
      if (k < batch.length - 1 && got.replaced) replacedMidWindow++;
      if (got.duplicateOf) duplicates++;
    });
    staged.releaseStaged();
    assert.deepEqual(staged.toPoolFile(), oneByOne.toPoolFile());
  }
  assert.ok(admittedMidWindow > 0 && replacedMidWindow > 0 && duplicates > 0, `the scenario must admit and replace members before a window ends and meet a near-duplicate (${admittedMidWindow}, ${replacedMidWindow}, ${duplicates})`);
  assert.throws(() => {
    for (let i = 0; i < 7; i++) staged.stage(noisyCopy(rng, target, 1));
  }, /at most 6 candidates/);
});
