import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix, solve } from 'ml-matrix';
import { Rng } from '../src/util/rng.js';
import { dailyIC, dailyRankIC, normalizeByDay } from '../src/metrics/index.js';
import { dailyAlphaICs, mutualICMatrix } from '../src/combine/dailyIc.js';
import { DailyGram } from '../src/combine/gram.js';
import { fitFromGram } from '../src/combine/solve.js';
import { adaptiveCombine, historyWindow, RankICWindowStats, selectAlphas, type AlphaPanel } from '../src/combine/adaptive.js';
import { fitStaticWeights, staticCombine } from '../src/combine/static.js';
import { maxDrawdownOfSum, predictionMetrics, sharpeRatio } from '../src/combine/metrics.js';

/** Random panel: alphas normalized, target with ~10% NaN and a few ties. */
function randomPanel(seed: number, nDays: number, nStocks: number, nAlphas: number): AlphaPanel {
  const rng = new Rng(seed);
  const target = new Float64Array(nDays * nStocks);
  for (let i = 0; i < target.length; i++) target[i] = rng.next() < 0.1 ? NaN : Math.round(rng.normal() * 20) / 100;
  const alphas: Float64Array[] = [];
  for (let a = 0; a < nAlphas; a++) {
    const raw = new Float64Array(nDays * nStocks);
    for (let i = 0; i < raw.length; i++) {
      const y = target[i] === target[i] ? target[i] : 0;
      raw[i] = rng.next() < 0.05 ? NaN : (a % 3) * 0.3 * y + rng.normal();
    }
    alphas.push(normalizeByDay(raw, nDays, nStocks));
  }
  return { nDays, nStocks, alphas, target };
}

function nanToZero(x: Float64Array): Float64Array {
  return x.map((v) => (v === v ? v : 0));
}

test('daily IC and RankIC of the combination equal src/metrics dailyIC / dailyRankIC', () => {
  const p = randomPanel(1, 30, 57, 4);
  // one day with no valid target: both series must be 0 there
  for (let s = 0; s < p.nStocks; s++) p.target[3 * p.nStocks + s] = NaN;
  const d = dailyAlphaICs(p.alphas, p.target, p.nDays, p.nStocks);
  for (let a = 0; a < 4; a++) {
    const ic = nanToZero(dailyIC(p.alphas[a], p.target, p.nDays, p.nStocks));
    const ric = nanToZero(dailyRankIC(p.alphas[a], p.target, p.nDays, p.nStocks));
    for (let t = 0; t < p.nDays; t++) {
      assert.ok(Math.abs(d.ic[a * p.nDays + t] - ic[t]) < 1e-12, `ic a${a} d${t}`);
      assert.ok(Math.abs(d.rankIc[a * p.nDays + t] - ric[t]) < 1e-12, `rank ic a${a} d${t}`);
    }
    assert.equal(d.ic[a * p.nDays + 3], 0);
    assert.equal(d.rankIc[a * p.nDays + 3], 0);
  }
});

test('mutual IC matrix equals the mean daily Pearson of each pair', () => {
  const p = randomPanel(2, 12, 40, 3);
  const m = mutualICMatrix(p.alphas, p.nStocks, 2, 10);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const daily = dailyIC(p.alphas[i].subarray(2 * 40, 10 * 40), p.alphas[j].subarray(2 * 40, 10 * 40), 8, 40);
      const want = daily.reduce((s, v) => s + v, 0) / 8;
      assert.ok(Math.abs(m[i * 3 + j] - want) < 1e-12, `pair ${i},${j}`);
    }
  }
});

/** Direct least squares on every (day, stock) row of [begin, end) with a finite target: [intercept, coef...]. */
function directLeastSquares(p: AlphaPanel, sel: number[], begin: number, end: number): number[] {
  const rows: number[][] = [];
  const y: number[] = [];
  for (let d = begin; d < end; d++) {
    for (let s = 0; s < p.nStocks; s++) {
      const t = p.target[d * p.nStocks + s];
      if (!Number.isFinite(t)) continue;
      rows.push([1, ...sel.map((a) => p.alphas[a][d * p.nStocks + s])]);
      y.push(t);
    }
  }
  const x = solve(new Matrix(rows), Matrix.columnVector(y)); // QR least squares
  return x.to1DArray();
}

test('Gram-matrix fit equals a direct least squares on all rows (1e-8), expanding and rolling windows', () => {
  const p = randomPanel(3, 80, 60, 6);
  const gram = new DailyGram(p.alphas, p.target, p.nStocks, 0, 80);
  const cases: Array<{ sel: number[]; begin: number; end: number }> = [
    { sel: [0, 1, 2, 3, 4, 5], begin: 0, end: 80 },
    { sel: [1, 4], begin: 0, end: 37 },
    { sel: [0, 2, 5], begin: 21, end: 64 },
    { sel: [3], begin: 50, end: 52 },
  ];
  for (const c of cases) {
    const fit = fitFromGram(gram, gram.windowSum(c.begin, c.end), c.sel);
    const direct = directLeastSquares(p, c.sel, c.begin, c.end);
    assert.deepEqual(fit.dropped, []);
    assert.ok(Math.abs(fit.intercept - direct[0]) < 1e-8, `intercept ${fit.intercept} vs ${direct[0]}`);
    c.sel.forEach((_, k) => assert.ok(Math.abs(fit.coef[k] - direct[k + 1]) < 1e-8, `coef ${k}: ${fit.coef[k]} vs ${direct[k + 1]}`));
  }

  // the whole adaptive loop with a rolling window: every day's fit equals the direct one, and so does the prediction
  const days = [60, 61, 70, 79];
  const res = adaptiveCombine(p, { predictDays: days, window: 30, labelDays: 5, thresholdRic: 0, thresholdRicir: 0, nFactors: 4 });
  res.selections.forEach((sel, i) => {
    const { begin, end } = historyWindow(days[i], 30, 5);
    assert.equal(sel.begin, begin);
    assert.equal(sel.end, end);
    assert.equal(end - begin, 30);
    const direct = directLeastSquares(p, [...sel.fit.selected], begin, end);
    assert.ok(Math.abs(sel.fit.intercept - direct[0]) < 1e-8);
    sel.fit.coef.forEach((c, k) => assert.ok(Math.abs(c - direct[k + 1]) < 1e-8));
    for (let s = 0; s < p.nStocks; s++) {
      let want = direct[0];
      sel.fit.selected.forEach((a, k) => (want += direct[k + 1] * p.alphas[a][days[i] * p.nStocks + s]));
      assert.ok(Math.abs(res.pred[i * p.nStocks + s] - want) < 1e-8);
    }
  });
});

test('rank-deficient systems: duplicate and all-zero alphas are dropped, the rest solved exactly', () => {
  const base = randomPanel(4, 40, 50, 3);
  const dup = Float64Array.from(base.alphas[1]);
  const scaled = base.alphas[0].map((v) => -2 * v);
  const zero = new Float64Array(40 * 50);
  const p: AlphaPanel = { ...base, alphas: [...base.alphas, dup, zero, scaled] };
  const gram = new DailyGram(p.alphas, p.target, p.nStocks, 0, 40);
  const fit = fitFromGram(gram, gram.windowSum(0, 40), [0, 1, 3, 4, 2, 5]);
  assert.deepEqual([...fit.dropped], [3, 4, 5]);
  const direct = directLeastSquares(p, [0, 1, 2], 0, 40);
  assert.ok(Math.abs(fit.intercept - direct[0]) < 1e-8);
  assert.ok(Math.abs(fit.coef[0] - direct[1]) < 1e-8);
  assert.ok(Math.abs(fit.coef[1] - direct[2]) < 1e-8);
  assert.ok(Math.abs(fit.coef[4] - direct[3]) < 1e-8);
  assert.equal(fit.coef[2], 0);
  assert.equal(fit.coef[3], 0);
  assert.equal(fit.coef[5], 0);
});

test('adaptive combination on a known panel: the informative alpha is selected with coefficient ~1', () => {
  const nDays = 160;
  const nStocks = 200;
  const rng = new Rng(7);
  const rawTarget = new Float64Array(nDays * nStocks);
  for (let i = 0; i < rawTarget.length; i++) rawTarget[i] = rng.normal();
  // target with mean 0 and std 1 each day, so normalize(target + small noise) ~ target
  const target = normalizeByDay(rawTarget, nDays, nStocks);
  for (let d = 150; d < nDays; d++) for (let s = 0; s < nStocks; s++) target[d * nStocks + s] = NaN; // unknown labels at the end
  const signal = new Float64Array(nDays * nStocks);
  for (let i = 0; i < signal.length; i++) signal[i] = (target[i] === target[i] ? target[i] : rng.normal()) + 0.05 * rng.normal();
  const noise1 = new Float64Array(nDays * nStocks).map(() => rng.normal());
  const noise2 = new Float64Array(nDays * nStocks).map(() => rng.normal());
  const alphas = [noise1, signal, noise2].map((x) => normalizeByDay(x, nDays, nStocks));
  const panel: AlphaPanel = { nDays, nStocks, alphas, target };
  const predictDays = Array.from({ length: 40 }, (_, i) => 120 + i);
  const res = adaptiveCombine(panel, { predictDays, labelDays: 20 });
  for (const sel of res.selections) {
    assert.equal(sel.fallback, false);
    assert.ok(sel.fit.selected.includes(1), `alpha 1 selected on day ${sel.day}`);
    const k = sel.fit.selected.indexOf(1);
    assert.ok(Math.abs(sel.fit.coef[k] - 1) < 0.02, `coefficient ${sel.fit.coef[k]}`);
    assert.ok(Math.abs(sel.fit.intercept) < 0.01);
    sel.fit.selected.forEach((a, j) => a !== 1 && assert.ok(Math.abs(sel.fit.coef[j]) < 0.02));
    assert.equal(sel.end, sel.day - 21);
    assert.equal(sel.begin, 0);
  }
  // predictions track the target on the days where it is known
  const m = predictionMetrics(res.pred.subarray(0, 30 * nStocks), target.subarray(120 * nStocks, 150 * nStocks), 30, nStocks, 20);
  assert.ok(m.metrics.ic > 0.99, `prediction IC ${m.metrics.ic}`);
  assert.ok(m.metrics.ric > 0.99);
});

test('selection: thresholds, fallback to the best |RankICIR|, first n_factors in pool order', () => {
  const nDays = 6;
  // rows: alpha a's daily RankIC; IC unused here
  const series = [
    [0.01, 0.01, 0.012, 0.01, 0.011, 0.01], // |mean| 0.0105 < 0.015: out
    [-0.05, -0.04, -0.06, -0.05, -0.05, -0.04], // strong negative: in
    [0.2, -0.15, 0.25, -0.2, 0.1, -0.1], // mean 0.0167 but IR small: out
    [0.03, 0.04, 0.02, 0.03, 0.05, 0.03], // in
    [0.03, 0.031, 0.029, 0.03, 0.03, 0.03], // in
  ];
  const rankIc = Float64Array.from(series.flat());
  const stats = new RankICWindowStats({ nAlphas: 5, nDays, ic: new Float64Array(5 * nDays), rankIc });
  assert.deepEqual(selectAlphas(stats, 0, 6, 0.015, 0.15, 20), { selected: [1, 3, 4], fallback: false });
  assert.deepEqual(selectAlphas(stats, 0, 6, 0.015, 0.15, 2), { selected: [1, 3], fallback: false });
  // nothing passes: the single best |RankICIR| (alpha 4: tiny std)
  assert.deepEqual(selectAlphas(stats, 0, 6, 0.5, 0.15, 20), { selected: [4], fallback: true });
  const { mean, std } = stats.meanStd(2, 1, 5);
  const w = series[2].slice(1, 5);
  const m = w.reduce((s, v) => s + v, 0) / 4;
  assert.ok(Math.abs(mean - m) < 1e-15);
  assert.ok(Math.abs(std - Math.sqrt(w.reduce((s, v) => s + (v - m) ** 2, 0) / 3)) < 1e-12);
});

test('static combination: weighted sum of normalized alphas; fitted weights equal direct least squares', () => {
  const p = randomPanel(5, 30, 20, 3);
  const pred = staticCombine(p, [0.5, -1, 2], [4, 9]);
  for (let s = 0; s < 20; s++) {
    const want = 0.5 * p.alphas[0][4 * 20 + s] - p.alphas[1][4 * 20 + s] + 2 * p.alphas[2][4 * 20 + s];
    assert.ok(Math.abs(pred[s] - want) < 1e-12);
  }
  const fit = fitStaticWeights(p, 0, 25);
  const direct = directLeastSquares(p, [0, 1, 2], 0, 25);
  fit.coef.forEach((c, k) => assert.ok(Math.abs(c - direct[k + 1]) < 1e-8));
});

test('prediction metrics: Sharpe, drawdown and annualised return by hand', () => {
  const r = Float64Array.from([0.1, -0.2, 0.05, 0.1]);
  // cum = 1.1, 0.9, 0.95, 1.05; running max 1.1; worst (1.1-0.9)/1.1
  assert.ok(Math.abs(maxDrawdownOfSum(r) - 0.2 / 1.1) < 1e-12);
  const mean = 0.05 / 4;
  const std = Math.sqrt([0.1, -0.2, 0.05, 0.1].reduce((s, v) => s + (v - mean) ** 2, 0) / 3);
  assert.ok(Math.abs(sharpeRatio(r) - (mean / std) * Math.sqrt(252)) < 1e-12);
  assert.equal(sharpeRatio(Float64Array.from([0.01, 0.01, 0.01])), 0);

  // 2 days x 5 stocks: top 20% = 1 stock per day
  const pred = Float64Array.from([5, 4, 3, 2, 1, 1, 2, 3, 4, 5]);
  const tgt = Float64Array.from([0.2, 0.1, 0, -0.1, -0.2, 0.4, 0, 0, 0, 0.2]);
  const { metrics, daily } = predictionMetrics(pred, tgt, 2, 5, 20);
  assert.deepEqual([...daily.ret], [0.2 / 20, 0.2 / 20]);
  assert.ok(Math.abs(metrics.ret - 0.01 * 252) < 1e-12);
  assert.ok(Math.abs(daily.ic[0] - 1) < 1e-12);
  assert.ok(Math.abs(metrics.ric - (1 + daily.rankIc[1]) / 2) < 1e-12);
  assert.equal(metrics.ret_std, 1); // zero std is replaced by 1, as the reference does
});

test('prediction metrics count the days where the Pearson guard (std < 1e-3) makes the IC about 0', () => {
  const nDays = 3;
  const nStocks = 4;
  const target = Float64Array.from([0.01, -0.02, 0.03, 0.0, 0.02, 0.01, -0.01, 0.05, 0.0, 0.01, 0.02, 0.03]);
  // Day 0: a spread of 1e-4 (guarded); day 1: a real spread; day 2: one finite pair only (not counted).
  const pred = Float64Array.from([1e-4, -1e-4, 2e-4, 0, 0.5, -0.2, 0.1, 0.9, NaN, NaN, 0.3, NaN]);
  const { daily } = predictionMetrics(pred, target, nDays, nStocks, 20);
  assert.equal(daily.icGuardDays, 1);
  assert.ok(Math.abs(daily.ic[0]) < 1e-4, 'the guarded day divides by 1');
  assert.ok(Math.abs(daily.ic[1]) > 0.1);
});

// DailyGram's former TypeScript day loop, the bit-for-bit reference of assembly/gram.ts dayGram.
function plainDot(a: Float64Array, b: Float64Array, m: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, r = 0;
  for (; r + 3 < m; r += 4) {
    s0 += a[r] * b[r];
    s1 += a[r + 1] * b[r + 1];
    s2 += a[r + 2] * b[r + 2];
    s3 += a[r + 3] * b[r + 3];
  }
  for (; r < m; r++) s0 += a[r] * b[r];
  return s0 + s1 + s2 + s3;
}
function plainDayGram(cols: Float64Array[], y: Float64Array, m: number): number[] {
  const n = cols.length;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) out.push(plainDot(cols[i], cols[j], m));
    let sum = 0;
    for (let r = 0; r < m; r++) sum += cols[i][r];
    out.push(sum, plainDot(cols[i], y, m));
  }
  let sy = 0, syy = 0;
  for (let r = 0; r < m; r++) (sy += y[r]), (syy += y[r] * y[r]);
  out.push(m, sy, syy);
  return out;
}

test('DailyGram: every day has the bits of the plain loop (odd and even alpha counts, rows skipped for a non-finite target, a day without rows)', () => {
  const rng = new Rng(21);
  for (const [n, nDays, nStocks] of [[5, 6, 23], [4, 3, 8], [1, 2, 3], [0, 2, 5]]) {
    const alphas = Array.from({ length: n }, () => Float64Array.from({ length: nDays * nStocks }, () => rng.normal()));
    const target = Float64Array.from({ length: nDays * nStocks }, () => (rng.next() < 0.2 ? NaN : rng.normal() * 0.05));
    target.fill(Infinity, 0, nStocks); // day 0: no row
    const gram = new DailyGram(alphas, target, nStocks, 0, nDays);
    const prefix = new Float64Array(gram.packed);
    for (let d = 0; d < nDays; d++) {
      const cols = alphas.map(() => new Float64Array(nStocks));
      const y = new Float64Array(nStocks);
      let m = 0;
      for (let s = 0; s < nStocks; s++) {
        const t = target[d * nStocks + s];
        if (!Number.isFinite(t)) continue;
        y[m] = t;
        alphas.forEach((a, i) => (cols[i][m] = a[d * nStocks + s]));
        m++;
      }
      plainDayGram(cols, y, m).forEach((v, k) => (prefix[k] += v));
      const got = gram.windowSum(0, d + 1);
      for (let k = 0; k < gram.packed; k++) assert.ok(Object.is(got[k], prefix[k]), `n ${n}, day ${d}, entry ${k}: ${got[k]} vs ${prefix[k]}`);
    }
  }
});

test('--fit-weights fits on the --train window: its end is honoured, and no label reaches past --valid', async () => {
  const { bundledQlibDir, loadStockData, SPLITS } = await import('../src/data/index.js');
  const { combineOnData } = await import('../src/combine/run.js');
  const data = loadStockData({ qlibDir: await bundledQlibDir(() => {}), start: SPLITS.train.start, end: SPLITS.test.end });
  const pool = { exprs: ['TsPctChange($close,20)', 'Mul(-1.0,TsRank($close,20))', 'Div(TsMax($high,30),$close)'], weights: [1, 1, 1] };
  const settings = {
    mode: 'static' as const,
    staticWeights: 'fit' as const,
    thresholdRic: 0.015,
    thresholdRicir: 0.15,
    nFactors: 20,
    window: Infinity,
    labelDays: 20,
    dependenceTol: 1e-8,
    train: { ...SPLITS.train },
    valid: { ...SPLITS.valid },
    test: { ...SPLITS.test },
  };
  const weights = (train: { start: string; end: string }) => combineOnData(pool, data, { ...settings, train }).staticWeights;
  const whole = weights(SPLITS.train);
  // a train end past --valid's start changes nothing: labels stop before --valid either way
  assert.deepEqual(weights({ start: SPLITS.train.start, end: SPLITS.valid.end }), whole);
  const shorter = weights({ start: SPLITS.train.start, end: '2014-12-31' });
  assert.ok(whole && shorter && shorter.some((w, i) => Math.abs(w - whole[i]) > 1e-6), `the shorter train window gave the same weights: ${shorter}`);
});
