/**
 * Pools on the bundled S&P 500 data: the AlphaGen linear pool on five fixed
 * expressions over the train split, and pool evaluation on the test split,
 * each checked against a direct computation with the metrics module.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledQlibDir, loadStockData, SPLITS, type StockData } from '../src/data/index.js';
import { evaluateExpr, evaluateTarget } from '../src/expr/index.js';
import { alphaIC, alphaRankIC, dailyIC, dailyRankIC, mean, meanNanAsZero, normalizeByDay, seriesStats } from '../src/metrics/index.js';
import { evaluatePool, GfnPool, LinearPool, writePoolFile } from '../src/pool/index.js';
import { exactL1Weights, l1OptimalityGap, leastSquaresWeights, poolObjective } from '../src/pool/weights.js';
import { runCli } from './helpers/cli.js';

const FIVE = [
  'TsCorr($close,$volume,20)',
  'Div(Sub($close,$open),Add($high,0.01))',
  'Rank($volume)',
  'TsStd(Div($close,Ref($close,1)),20)',
  'Mul(TsPctChange($close,10),-1.0)',
];

const close = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} != ${b} (tol ${tol})`);

let trainData: StockData | undefined;
async function train(): Promise<StockData> {
  trainData ??= loadStockData({ qlibDir: await bundledQlibDir(() => {}), ...SPLITS.train });
  return trainData;
}

/** M (ones on the diagonal) and ic straight from the metrics module. */
function directProblem(raws: Float64Array[], target: Float64Array, nDays: number, nStocks: number) {
  const norm = raws.map((r) => normalizeByDay(r, nDays, nStocks));
  const nt = normalizeByDay(target, nDays, nStocks);
  const n = raws.length;
  const M = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) M[i * n + j] = i === j ? 1 : meanNanAsZero(dailyIC(norm[i], norm[j], nDays, nStocks));
  const ic = norm.map((v) => meanNanAsZero(dailyIC(v, nt, nDays, nStocks)));
  return { M, ic, norm };
}

test('linear pool on five expressions over the bundled train split: Adam objective within 1e-6 of the exact optimum', async () => {
  const data = await train();
  const { nDays, nStocks } = data;
  assert.deepEqual([nDays, nStocks], [610, 496]);
  const target = evaluateTarget(data);
  const raws = FIVE.map((e) => evaluateExpr(e, data));
  const pool = new LinearPool({ capacity: 10, target, nDays, nStocks });
  for (let i = 0; i < FIVE.length; i++) {
    const r = pool.tryAdd(FIVE[i], raws[i]);
    assert.equal(r.admitted, true, FIVE[i]);
  }
  assert.equal(pool.size, 5);

  // The pool's ICs and mutual ICs equal the direct ones.
  const { M, ic, norm } = directProblem(raws, target, nDays, nStocks);
  const members = pool.members();
  members.forEach((m, i) => {
    assert.equal(m.expr, FIVE[i]);
    close(m.ic, ic[i], 1e-14, `ic ${i}`);
    for (let j = 0; j < 5; j++) close(pool.mutualIC(i, j), M[i * 5 + j], 1e-14, `mutual ${i},${j}`);
  });

  // The exact optimum of w'Mw - 2w'ic + 1 + 5e-3|w|_1 (its optimality conditions hold to rounding) ...
  const exact = exactL1Weights(M, ic, 5e-3);
  assert.ok(l1OptimalityGap(M, ic, exact, 5e-3) < 1e-12);
  const optimum = poolObjective(M, ic, exact, 5e-3);
  // ... and the Adam weights' objective is within 1e-6 of it (never below, beyond rounding).
  const weights = pool.weights();
  const reached = poolObjective(M, ic, weights, 5e-3);
  assert.ok(reached - optimum >= -1e-12 && reached - optimum <= 1e-6, `Adam objective ${reached} vs optimum ${optimum}`);
  close(pool.objective(), reached, 1e-12, 'pool.objective()');
  // The least-squares weights plus the L1 term are no better than what Adam found.
  const ls = leastSquaresWeights(M, ic);
  assert.ok(reached <= poolObjective(M, ic, ls, 5e-3) + 1e-12);

  // The reported ensemble IC equals a direct computation on the combination.
  const combined = new Float64Array(nDays * nStocks);
  norm.forEach((v, k) => v.forEach((x, c) => (combined[c] += weights[k] * x)));
  close(pool.ensembleIC, alphaIC(combined, target, nDays, nStocks), 1e-12, 'ensemble IC');
  assert.ok(Math.abs(pool.ensembleIC) > 0);
});

test('linear pool, exact least-squares option: M w = ic on the bundled train split', async () => {
  const data = await train();
  const { nDays, nStocks } = data;
  const target = evaluateTarget(data);
  const raws = FIVE.map((e) => evaluateExpr(e, data));
  const pool = new LinearPool({ capacity: 10, target, nDays, nStocks, solver: 'lstsq' });
  raws.forEach((r, i) => pool.tryAdd(FIVE[i], r));
  const { M, ic } = directProblem(raws, target, nDays, nStocks);
  const w = pool.weights();
  for (let i = 0; i < 5; i++) close(w.reduce((s, v, j) => s + M[i * 5 + j] * v, 0), ic[i], 1e-12, `row ${i}`);
});

test('GFN pool on the bundled train split: |IC|, novelty and least-squares weights against direct computations', async () => {
  const data = await train();
  const { nDays, nStocks } = data;
  const target = evaluateTarget(data);
  const raws = FIVE.map((e) => evaluateExpr(e, data));
  const { M, ic } = directProblem(raws, target, nDays, nStocks);
  const pool = new GfnPool({ capacity: 50, target, nDays, nStocks });
  const admitted: number[] = [];
  FIVE.forEach((e, i) => {
    const r = pool.tryAdd(e, raws[i], Float32Array.from([i, 0]));
    close(r.ic, Math.abs(ic[i]), 1e-14, `ic ${e}`);
    const maxMutual = admitted.length === 0 ? 0 : Math.max(...admitted.map((j) => Math.abs(M[i * 5 + j])));
    close(r.novelty, admitted.length === 0 ? 1 : 1 - maxMutual, 1e-14, `novelty ${e}`);
    assert.equal(r.admitted, maxMutual <= 0.3, `admission of ${e}`);
    if (r.admitted) admitted.push(i);
  });
  assert.ok(admitted.length >= 3, `admitted ${admitted.length}`);
  const w = pool.fitWeights();
  const k = admitted.length;
  admitted.forEach((a, i) => close(admitted.reduce((s, b, j) => s + M[a * 5 + b] * w[j], 0), ic[a], 1e-12, `LS row ${i}`));
  assert.equal(w.length, k);
});

test('evaluatePool and `pool eval --json` on the test split equal direct computations', async () => {
  const data = loadStockData({ qlibDir: await bundledQlibDir(() => {}), ...SPLITS.test });
  const { nDays, nStocks } = data;
  const weights = [0.4, -0.3, 0.2, 0.1, -0.05];
  const pool = { exprs: FIVE, weights };
  const r = evaluatePool(pool, data);

  const target = evaluateTarget(data);
  const raws = FIVE.map((e) => evaluateExpr(e, data));
  r.members.forEach((m, i) => {
    assert.equal(m.expr, FIVE[i]);
    assert.equal(m.weight, weights[i]);
    close(m.ic, alphaIC(raws[i], target, nDays, nStocks), 1e-15, `member ${i} ic`);
    close(m.rank_ic, alphaRankIC(raws[i], target, nDays, nStocks), 1e-15, `member ${i} rank ic`);
  });
  const combined = new Float64Array(nDays * nStocks);
  raws.forEach((raw, k) => normalizeByDay(raw, nDays, nStocks).forEach((x, c) => (combined[c] += weights[k] * x)));
  const daily = dailyIC(normalizeByDay(combined, nDays, nStocks), normalizeByDay(target, nDays, nStocks), nDays, nStocks);
  const icStats = seriesStats(daily, true);
  close(r.ensemble.ic, alphaIC(combined, target, nDays, nStocks), 1e-15, 'ensemble ic');
  close(r.ensemble.icir, icStats.mean / icStats.std, 1e-12, 'ensemble icir');
  const rankDaily = dailyRankIC(combined, target, nDays, nStocks);
  close(r.ensemble.rank_ic, mean(rankDaily), 1e-15, 'ensemble rank ic');
  close(r.ensemble.rank_icir, seriesStats(rankDaily, true).ir, 1e-12, 'ensemble rank icir');

  // The CLI prints exactly {"members": [{expr, weight, ic, rank_ic}], "ensemble": {ic, icir, rank_ic, rank_icir}}.
  const file = join(mkdtempSync(join(tmpdir(), 'alphasage-pool-')), 'pool.json');
  writePoolFile(file, pool);
  const cli = runCli(['pool', 'eval', file, '--split', 'test', '--json']);
  assert.equal(cli.status, 0, cli.stderr);
  const json = JSON.parse(cli.stdout) as { data: Record<string, unknown>; members: Record<string, unknown>[]; ensemble: Record<string, number> };
  assert.deepEqual(Object.keys(json), ['data', 'members', 'ensemble']);
  assert.deepEqual(json.data, { first_day: '2017-01-03', last_day: '2017-12-20', n_days: 245, n_stocks: 505, qlib_dir: null, universe: 'all' });
  assert.deepEqual(Object.keys(json.ensemble), ['ic', 'icir', 'rank_ic', 'rank_icir']);
  json.members.forEach((m, i) => {
    assert.deepEqual(Object.keys(m), ['expr', 'weight', 'ic', 'rank_ic']);
    assert.deepEqual(m, { ...r.members[i] });
  });
  assert.deepEqual(json.ensemble, r.ensemble);
  // The same window given by dates.
  const byDates = runCli(['pool', 'eval', file, '--start', SPLITS.test.start, '--end', SPLITS.test.end, '--json']);
  assert.equal(byDates.status, 0, byDates.stderr);
  assert.deepEqual(JSON.parse(byDates.stdout), json);
});

test('GFN pool on the bundled data refuses constant alphas whose daily mean is inexact (the pools once took them for informative and novel)', async () => {
  const data = await train();
  const target = evaluateTarget(data);
  const pool = new GfnPool({ capacity: 5, target, nDays: data.nDays, nStocks: data.nStocks });
  // 2/3, 0.01 - 0 and -30 + slog1p(1) everywhere, as mined pools once held them.
  for (const e of ['Inv(TsMed(Sub(Sign($open),-0.5),20))', 'Sub(0.01,TsMinMaxDiff(Sign($close),20))', 'Add(-30.0,SLog1p(Sign(SLog1p(Add($high,5.0)))))']) {
    const raw = evaluateExpr(e, data);
    const norm = normalizeByDay(raw, data.nDays, data.nStocks);
    assert.ok(norm.every((v) => v === 0), `${e}: normalized values are all 0`);
    const r = pool.tryAdd(e, raw, new Float32Array([1, 0, 0]));
    assert.deepEqual([r.admitted, r.ic, r.novelty], [false, 0, 0], e);
  }
  assert.equal(pool.tryAdd('TsCorr($close,$volume,20)', evaluateExpr('TsCorr($close,$volume,20)', data), new Float32Array([0, 1, 0])).admitted, true);
});
