/**
 * Adaptive combination of a 50-alpha pool over the valid + test days of the
 * bundled data (universe all, history from the train start 2013-08-01): the
 * example pool's 20 hand-written alphas plus 30 random valid expressions built
 * through the RPN masks (seeded). Prints the time of each step (median of 3 for
 * the combination steps) and, for scale, the reference's way: a least squares
 * over every history row, re-solved each day (timed on a few days, extrapolated).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Matrix, solve } from 'ml-matrix';
import { bundledQlibDir, loadStockData, PACKAGE_ROOT, SPLITS } from '../src/data/index.js';
import { ExprBuilder, evaluateExpr, isOutOfRangeError, parseExpr, printExpr, tokensToExpr, N_ACTIONS, SEP_ID } from '../src/expr/index.js';
import { normalizeByDay } from '../src/metrics/index.js';
import { Rng } from '../src/util/rng.js';
import { adaptiveCombine, dailyAlphaICs, DailyGram, planDays, predictionMetrics, targetExpr, type AlphaPanel, type CombineSettings } from '../src/combine/index.js';
import { median } from './timing.js';

/** A random valid expression: a walk through the masks, stopping when SEP is allowed with probability 0.35. */
function randomExpr(rng: Rng): string {
  for (;;) {
    const b = new ExprBuilder();
    const mask = new Uint8Array(N_ACTIONS);
    while (!b.done) {
      b.validActionMask(mask);
      if (mask[SEP_ID - 1] && (b.full || rng.next() < 0.35)) {
        b.push(SEP_ID);
        break;
      }
      const allowed: number[] = [];
      for (let a = 0; a < N_ACTIONS; a++) if (mask[a] && a !== SEP_ID - 1) allowed.push(a + 1);
      if (allowed.length === 0) break;
      b.push(allowed[rng.int(allowed.length)]);
    }
    if (b.isValid() && b.length >= 3) return printExpr(tokensToExpr(b.tokens));
  }
}

export default async function (): Promise<void> {
  const qlibDir = await bundledQlibDir();
  let t = performance.now();
  const data = loadStockData({ qlibDir, start: SPLITS.train.start, end: SPLITS.test.end });
  const loadMs = performance.now() - t;
  const settings: CombineSettings = {
    mode: 'adaptive',
    staticWeights: 'pool',
    thresholdRic: 0.015,
    thresholdRicir: 0.15,
    nFactors: 20,
    window: Infinity,
    labelDays: 20,
    dependenceTol: 1e-10,
    train: SPLITS.train,
    valid: SPLITS.valid,
    test: SPLITS.test,
  };
  const { nDays, nStocks } = data;

  // the pool: 20 hand-written + 30 random alphas that evaluate and are not constant
  const exprs: string[] = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'examples', 'pool_example.json'), 'utf8')).exprs;
  const rng = new Rng(2024);
  const alphas: Float64Array[] = [];
  t = performance.now();
  for (const e of exprs) alphas.push(normalizeByDay(evaluateExpr(parseExpr(e), data), nDays, nStocks));
  const seen = new Set(exprs);
  while (alphas.length < 50) {
    const e = randomExpr(rng);
    if (seen.has(e)) continue;
    seen.add(e);
    let raw: Float64Array;
    try {
      raw = evaluateExpr(parseExpr(e), data);
    } catch (err) {
      if (isOutOfRangeError(err)) continue;
      throw err;
    }
    let finite = 0;
    for (let i = 0; i < raw.length; i++) if (Number.isFinite(raw[i])) finite++;
    if (finite < raw.length * 0.5) continue;
    const z = normalizeByDay(raw, nDays, nStocks);
    let nonzero = 0;
    for (let i = 0; i < z.length; i++) if (z[i] !== 0) nonzero++;
    if (nonzero < z.length * 0.5) continue;
    exprs.push(e);
    alphas.push(z);
  }
  const target = evaluateExpr(parseExpr(targetExpr(20)), data);
  const evalMs = performance.now() - t;

  const panel: AlphaPanel = { nDays, nStocks, alphas, target };
  const { valid, test, predictDays } = planDays(data, settings);
  const lastEnd = predictDays[predictDays.length - 1] - 21;
  const runs = { daily: [] as number[], gram: [] as number[], combine: [] as number[], metrics: [] as number[] };
  let selectedMean = 0;
  let ic = { valid: 0, test: 0 };
  for (let r = 0; r < 3; r++) {
    t = performance.now();
    const daily = dailyAlphaICs(alphas, target, nDays, nStocks);
    runs.daily.push(performance.now() - t);
    t = performance.now();
    new DailyGram(alphas, target, nStocks, 0, lastEnd);
    runs.gram.push(performance.now() - t);
    t = performance.now();
    const res = adaptiveCombine(panel, { predictDays, dailyICs: daily });
    runs.combine.push(performance.now() - t);
    t = performance.now();
    const nValid = valid[1] - valid[0];
    const mv = predictionMetrics(res.pred.subarray(0, nValid * nStocks), target.subarray(valid[0] * nStocks, valid[1] * nStocks), nValid, nStocks, 20);
    const mt = predictionMetrics(res.pred.subarray(nValid * nStocks), target.subarray(test[0] * nStocks, test[1] * nStocks), test[1] - test[0], nStocks, 20);
    runs.metrics.push(performance.now() - t);
    selectedMean = res.selections.reduce((s, x) => s + x.fit.selected.length, 0) / res.selections.length;
    ic = { valid: mv.metrics.ic, test: mt.metrics.ic };
  }

  // the reference's way for scale: least squares over every row of the history, re-solved per day
  const sample = [predictDays[0], predictDays[Math.floor(predictDays.length / 2)], predictDays[predictDays.length - 1]];
  const k = 20;
  t = performance.now();
  for (const day of sample) {
    const rows: number[][] = [];
    const y: number[] = [];
    for (let d = 0; d < day - 21; d++) {
      for (let s = 0; s < nStocks; s++) {
        const v = target[d * nStocks + s];
        if (!Number.isFinite(v)) continue;
        const row = [1];
        for (let a = 0; a < k; a++) row.push(alphas[a][d * nStocks + s]);
        rows.push(row);
        y.push(v);
      }
    }
    solve(new Matrix(rows), Matrix.columnVector(y));
  }
  const directPerDay = (performance.now() - t) / sample.length;

  const comb = median(runs.daily) + median(runs.combine) + median(runs.metrics);
  console.log(`pool: 50 alphas (20 from examples/pool_example.json + 30 random, seed 2024); ${predictDays.length} predicted days (valid ${valid[1] - valid[0]} + test ${test[1] - test[0]}) x ${nStocks} stocks; history from ${SPLITS.train.start} (${nDays} days loaded)`);
  console.log(`mean alphas selected a day ${selectedMean.toFixed(1)}; prediction IC valid ${ic.valid.toFixed(4)}, test ${ic.test.toFixed(4)}`);
  console.log('| step | median ms | runs |');
  console.log('|---|---|---|');
  const row = (name: string, xs: number[]) => console.log(`| ${name} | ${median(xs).toFixed(0)} | ${xs.map((x) => x.toFixed(0)).join(', ')} |`);
  console.log(`| load data (once) | ${loadMs.toFixed(0)} | 1 |`);
  console.log(`| evaluate + normalize 50 alphas and the target (once) | ${evalMs.toFixed(0)} | 1 |`);
  row(`daily IC + RankIC of 50 alphas over ${nDays} days`, runs.daily);
  row('  (Gram matrices alone, inside the next step)', runs.gram);
  row('adaptive loop: Gram prefix sums + selection + k x k solves', runs.combine);
  row('metrics of the prediction (valid + test)', runs.metrics);
  console.log(`| **adaptive combination total (excl. load / evaluation)** | **${comb.toFixed(0)}** | target < 10,000 |`);
  console.log(`| end to end incl. load and evaluation | ${(comb + loadMs + evalMs).toFixed(0)} | |`);
  console.log(`| for scale: one day re-solved over all history rows (${k} alphas, ml-matrix QR) | ${directPerDay.toFixed(0)} | x ${predictDays.length} days = ${((directPerDay * predictDays.length) / 1000).toFixed(0)} s |`);
}
