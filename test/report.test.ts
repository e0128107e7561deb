/**
 * End to end on the bundled data: combine -> backtest -> report through the
 * CLI, then the report opened in headless Chromium (Debian's `chromium`,
 * installed by .ci/run): every chart present and non-empty, no network request,
 * a screenshot in test/output/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { readPrediction } from '../src/combine/predFile.js';
import { bundledCacheDir, loadStockData, SPLITS } from '../src/data/index.js';
import { evaluateTarget } from '../src/expr/index.js';
import { isCleanUserError, ROOT, runCli } from './helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const POOL = {
  exprs: ['TsPctChange($close,50)', 'Log(TsMean(Mul($close,$volume),20))', 'Mul(-1.0,TsCov($close,$volume,20))', 'Mul(-1.0,TsRank($close,20))', 'Div(TsMax($high,30),$close)'],
  weights: [0.5, -0.3, -0.1, -0.8, 0.2],
};

/** A mining run as `alphasage mine` leaves it: pool.json and metrics.jsonl. */
function makeRun(): string {
  const run = mkdtempSync(join(tmpdir(), 'alphasage-report-'));
  writeFileSync(join(run, 'pool.json'), JSON.stringify(POOL, null, 2));
  const lines = [];
  for (let i = 1; i <= 8; i++) {
    lines.push(
      JSON.stringify({ episode: i * 50, pool_size: Math.min(5, i), best_ic: 0.01 + 0.004 * i, test_ic: 0.005 * i - 0.01, test_rank_ic: 0.004 * i - 0.008, loss: 5 / i, log_z: 0.1 * i, mean_reward: 0.2 + 0.01 * i, valid_ratio: 0.5 + 0.05 * i }),
    );
  }
  lines.push('{"episode": 450, "pool_size": 5, "best_ic": 0.05'); // a line being written: skipped
  writeFileSync(join(run, 'metrics.jsonl'), lines.join('\n') + '\n');
  return run;
}

test('combine, backtest and report run end to end; the report renders in Chromium with every chart', { timeout: 300_000 }, async () => {
  const run = makeRun();
  const combine = runCli(['combine', '--pool', join(run, 'pool.json'), '--n_factors', '4', '--threshold_ric', '0.01']);
  assert.equal(combine.status, 0, combine.stderr);
  assert.match(combine.stdout, /^Validation\s+-?\d\.\d{4}/m);
  assert.match(combine.stdout, /^Test\s+-?\d\.\d{4}/m);
  const cdir = join(run, 'combine');
  for (const f of ['metrics.json', 'metrics.txt', 'daily.csv', 'pred.f64', 'pred.json', 'mutual_ic.json', 'selection.json', 'pool.json']) assert.ok(existsSync(join(cdir, f)), f);
  const pred = readPrediction(cdir);
  assert.equal(pred.meta.shape[0], pred.meta.dates.length);
  assert.deepEqual(pred.meta.segments.valid, [0, 252]);
  assert.equal(pred.meta.dates[252], '2017-01-03');
  const metrics = JSON.parse(readFileSync(join(cdir, 'metrics.json'), 'utf8'));
  assert.equal(metrics.settings.nFactors, 4);
  assert.equal(metrics.settings.thresholdRic, 0.01);
  for (const w of ['valid', 'test']) for (const k of ['ic', 'ic_std', 'icir', 'ric', 'ric_std', 'ricir', 'ret', 'ret_std', 'retir', 'ret_sharpe', 'ret_mdd']) assert.equal(typeof metrics.windows[w][k], 'number', `${w}.${k}`);

  const bt = runCli(['backtest', '--pred', cdir, '--long-short', '--topk', '30', '--n-drop', '3']);
  assert.equal(bt.status, 0, bt.stderr);
  assert.match(bt.stdout, /benchmark S&P 500 index/);
  assert.match(bt.stdout, /excess return with cost/);
  const btJson = JSON.parse(readFileSync(join(cdir, 'backtest.json'), 'utf8'));
  assert.equal(btJson.summary.first_day, '2017-01-03');
  assert.equal(btJson.settings.topk, 30);
  assert.ok(btJson.summary.mean_holdings > 29 && btJson.summary.mean_holdings <= 30);
  assert.ok(btJson.summary.cost.total_paid > 0);

  const rep = runCli(['report', run]);
  assert.equal(rep.status, 0, rep.stderr);
  const html = join(run, 'report.html');
  const text = readFileSync(html, 'utf8');
  assert.doesNotMatch(text, /<script|https?:\/\/(?!www\.w3\.org)/, 'no script and no external resource');
  assert.doesNotMatch(text, /\[object Object\]|undefined|:hover/, 'no stray object text or hover styles in the static SVGs');
  // The backtest's headline cards name the segment it traded.
  assert.match(text, /test annualised return \(after cost\)/);
  assert.match(text, /test NAV max drawdown/);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }).catch((e: Error) => {
    throw new Error(`cannot start ${CHROMIUM} (${e.message.split('\n')[0]}); install it with: apt-get install -y chromium`);
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(html).href);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')),
      [],
      'the report loads nothing from the network',
    );
    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        const paths = svg ? Array.from(svg.querySelectorAll('path')).filter((p) => (p.getAttribute('d') ?? '').length > 0) : [];
        return {
          name: f.getAttribute('data-chart'),
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          paths: paths.length,
          longest: Math.max(0, ...paths.map((p) => (p.getAttribute('d') ?? '').length)),
          text: svg?.textContent ?? '',
        };
      }),
    );
    const names = charts.map((c) => c.name);
    assert.deepEqual(names, ['ic', 'cumulative', 'drawdown', 'mutual-ic', 'training-ic', 'training-pool', 'training-loss']);
    for (const c of charts) {
      assert.ok(c.width >= 300 && c.height >= 200, `${c.name}: ${c.width}x${c.height}`);
      assert.ok(c.paths >= 10, `${c.name}: ${c.paths} paths`);
    }
    // line charts hold a polyline over hundreds of days / the episodes; the heatmap a cell per pair
    for (const name of ['ic', 'cumulative', 'drawdown']) assert.ok(charts.find((c) => c.name === name)!.longest > 2000, `${name} has a long series path`);
    assert.ok(charts.find((c) => c.name === 'mutual-ic')!.paths >= 25);
    assert.match(charts.find((c) => c.name === 'ic')!.text, /RankIC, 20-day mean/);
    assert.match(charts.find((c) => c.name === 'cumulative')!.text, /benchmark/);
    assert.match(charts.find((c) => c.name === 'cumulative')!.text, /long-short/);
    assert.match(charts.find((c) => c.name === 'training-ic')!.text, /pool test RankIC/);
    // the pool table: one row per alpha, expressions as written
    const poolRows = await page.$$eval('table.pool tbody tr', (rows) => rows.map((r) => r.children[1].textContent));
    assert.deepEqual(poolRows, POOL.exprs);
    const out = join(ROOT, 'test', 'output');
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, 'report.png'), fullPage: true });
    assert.ok(existsSync(join(out, 'report.png')));
  } finally {
    await browser.close();
  }

  // a combine folder alone (no backtest, no run): the report says what is missing
  const bare = mkdtempSync(join(tmpdir(), 'alphasage-bare-'));
  cpSync(cdir, bare, { recursive: true });
  rmSync(join(bare, 'backtest.json'));
  const r2 = runCli(['report', bare, '--out', join(bare, 'r.html')]);
  assert.equal(r2.status, 0, r2.stderr);
  assert.match(r2.stdout, /note: No backtest: run 'alphasage backtest --pred/);
  const t2 = readFileSync(join(bare, 'r.html'), 'utf8');
  assert.match(t2, /data-chart="ic"/);
  assert.match(t2, /data-chart="mutual-ic"/);
  assert.doesNotMatch(t2, /data-chart="cumulative"|data-chart="training-ic"/);

  // combining again into a folder with a backtest: the old prediction's files go, so a report cannot mix them
  const again = mkdtempSync(join(tmpdir(), 'alphasage-again-'));
  cpSync(cdir, again, { recursive: true });
  const r3 = runCli(['combine', '--pool', join(run, 'pool.json'), '--use-weights', '--out', again]);
  assert.equal(r3.status, 0, r3.stderr);
  assert.match(r3.stdout, /removed backtest.json, backtest_daily.csv, selection.json of the previous prediction/);
  for (const f of ['backtest.json', 'backtest_daily.csv', 'selection.json']) assert.ok(!existsSync(join(again, f)), f);
  // a prediction header whose segments do not fit its days is refused
  const meta = JSON.parse(readFileSync(join(again, 'pred.json'), 'utf8')) as { segments: Record<string, number[]> };
  meta.segments.test = [400, 99999];
  writeFileSync(join(again, 'pred.json'), JSON.stringify(meta));
  const r4 = runCli(['backtest', '--pred', again]);
  assert.ok(isCleanUserError(r4), r4.stderr);
  assert.match(r4.stderr, /segments.test is \[400,99999\], not \[first, end\) rows within its \d+ days/);
  // report: files that are not what combine / backtest write are named, not a crash
  writeFileSync(join(again, 'backtest.json'), '{"summary":{}}');
  writeFileSync(join(again, 'backtest_daily.csv'), 'date,value\n');
  const r5 = runCli(['report', again]);
  assert.ok(isCleanUserError(r5), r5.stderr);
  assert.match(r5.stderr, /backtest.json is not an 'alphasage backtest' result/);
});

test('bad flags and inputs give one clear line and exit code 2', () => {
  const run = makeRun();
  const pool = join(run, 'pool.json');
  const dangling = join(run, 'dangling');
  symlinkSync(join(run, 'nowhere'), dangling);
  const cases: Array<[string[], RegExp]> = [
    [['combine', '--pool', pool, '--window', '1'], /^alphasage: error: --window must be (in \[2|>= 2)/],
    [['combine', '--pool', pool, '--valid', '2016-12-31:2016-01-01'], /--valid ends \(2016-01-01\) before it starts/],
    [['combine', '--pool', pool, '--valid', '2016'], /--valid must be a split \(train, valid, test\) or START:END/],
    [['combine', '--pool', pool, '--use-weights', '--fit-weights'], /not both/],
    [['combine', '--pool', pool, '--test', '2016-06-01:2016-12-31'], /--test starts \(2016-06-01\) on or before the end of --valid/],
    [['combine', '--pool', pool, '--train', '2015-12-01:2015-12-31'], /days of labelled history/],
    [['combine', '--pool', pool, '--label-days', '40'], /--label-days must be in \[1, 30\]/],
    [['combine', '--pool', join(run, 'missing.json')], /does not exist/],
    [['backtest', '--pred', join(run, 'nope')], /is not a folder/],
    [['backtest', '--pred', run], /holds no prediction/],
    [['report', join(run, 'nope')], /no folder/],
    // output paths are checked before any work: empty, a file where a folder goes (or above it), a folder where a file goes
    [['combine', '--pool', pool, '--out', ''], /--out is empty; give a folder path/],
    [['combine', '--pool', pool, '--out', pool], /is a file; give a folder path/],
    [['eval', '--split', 'valid', '--expr', '$close', '--out', join(pool, 'sub')], /is a file, so nothing can be created under it/],
    [['mine', '--out', pool], /is a file; give a folder path/],
    [['report', run, '--out', run], /is a folder; give a file path/],
    [['combine', '--pool', pool, '--universe', 'all', '--universe-file', pool], /give either --universe or --universe-file, not both/],
    [['backtest', '--pred', run, '--account', '0x10'], /--account must be a number, got '0x10'/],
    [['combine', '--pool', pool, '--train', 'toString'], /--train must be a split \(train, valid, test\) or START:END/],
    [['eval', '--split', 'valid', '--expr', '$close', '--out', dangling], /is a link to nothing; give a folder path/],
    // flags that would be ignored, or contradict each other
    [['combine', '--pool', pool, '--use-weights', '--threshold-ric', '0.05'], /--threshold-ric is for the adaptive combination; drop it, or drop --use-weights/],
    [['combine', '--pool', pool, '--train', '2016-01-01:2016-12-31'], /--valid starts \(2016-01-01\) on the train window's first day/],
    [['backtest', '--pred', run, '--ls-quantile', '0.2'], /--ls-quantile sets the long-short portfolio; add --long-short/],
    [['backtest', '--pred', run, '--n-drop', '0'], /--n-drop 0 makes Qlib's TopkDropout sell every held stock each day/],
    [['eval', '--split', 'valid', '--exprs', run], /is a folder; give a text file/],
    [['mine', '--instrument', 'all', '--universe-file', pool], /give either --instrument or --universe-file, not both/],
    [['start', '--resume', run, '--seed', '5'], /drop --out, --full, --episodes and --seed/],
  ];
  for (const [args, re] of cases) {
    const r = runCli(args);
    assert.ok(isCleanUserError(r), `${args.join(' ')}: status ${r.status}, stderr ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
  }
});

test('a prediction equal for every stock: RET is the mean return (no tie broken by stock order) and backtest says its picks are by order', () => {
  const run = makeRun();
  const pool = join(run, 'flat.json');
  writeFileSync(pool, JSON.stringify({ exprs: ['Sign($close)'], weights: [1] })); // prices are positive: 1 everywhere
  const out = join(run, 'flat');
  const c = runCli(['combine', '--pool', pool, '--use-weights', '--out', out]);
  assert.equal(c.status, 0, c.stderr);
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { windows: Record<string, { ic: number; ret: number }> };
  assert.equal(metrics.windows.test.ic, 0);
  // Each test day's ret is the mean 20-day forward return of all stocks / 20.
  const data = loadStockData({ qlibDir: bundledCacheDir(), ...SPLITS.test });
  const target = evaluateTarget(data);
  const daily = readFileSync(join(out, 'daily.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')).filter((f) => f[1] === 'test');
  assert.equal(daily.length, data.nDays);
  daily.forEach((f, d) => {
    let sum = 0;
    let n = 0;
    for (let s = 0; s < data.nStocks; s++) {
      const r = target[d * data.nStocks + s];
      if (r === r) (sum += r), n++;
    }
    assert.ok(Math.abs(Number(f[4]) - sum / n / 20) < 1e-12, `${f[0]}: ret ${f[4]}, mean ${sum / n / 20}`);
  });
  const bt = runCli(['backtest', '--pred', out]);
  assert.equal(bt.status, 0, bt.stderr);
  assert.match(bt.stdout, /note: on 245 of 245 days the prediction is the same for every stock; TopkDropout then pick by the stocks' order/);
});

test('a test window without data is said to be one, in combine, metrics.txt, the report and backtest; a one-stock universe is refused', () => {
  const run = makeRun();
  // Every membership ends before the test window (2017).
  const all = readFileSync(join(bundledCacheDir(), 'instruments', 'all.txt'), 'utf8').trim().split('\n');
  const universe = join(run, 'until2016.txt');
  writeFileSync(universe, all.map((l) => l.split('\t')).filter((f) => f[1] < '2016-01-01').map((f) => `${f[0]}\t${f[1]}\t2016-12-31`).join('\n') + '\n');
  const out = join(run, 'empty_test');
  const c = runCli(['combine', '--pool', join(run, 'pool.json'), '--universe-file', universe, '--out', out]);
  assert.equal(c.status, 0, c.stderr);
  const note = /no test day has a stock with both a prediction and a target value \(no data for the universe there\?\): the test metrics are 0 by convention/;
  assert.match(c.stdout, note);
  assert.match(readFileSync(join(out, 'metrics.txt'), 'utf8'), note);
  assert.ok((JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { notes: string[] }).notes.some((n) => note.test(n)));
  const bt = runCli(['backtest', '--pred', out]);
  assert.equal(bt.status, 0, bt.stderr);
  assert.match(bt.stdout, /note: no stock was ever held/);
  const rep = runCli(['report', out, '--out', join(run, 'empty.html')]);
  assert.equal(rep.status, 0, rep.stderr);
  assert.match(readFileSync(join(run, 'empty.html'), 'utf8'), /No test day has a stock with both a prediction and a target value/);

  const one = join(run, 'one.txt');
  writeFileSync(one, 'AAPL\t2013-02-08\t2018-02-07\n');
  for (const args of [['eval', '--split', 'train', '--expr', '$close', '--universe-file', one], ['combine', '--pool', join(run, 'pool.json'), '--universe-file', one, '--out', join(run, 'one_c')]]) {
    const r = runCli(args);
    assert.ok(isCleanUserError(r), `${args[0]}: ${r.stderr}`);
    assert.match(r.stderr, /the universe has 1 stock in this window, and a cross-sectional IC needs at least 2/);
  }
});
