/** `alphasage combine`: adaptive (AlphaForge-style) or static combination of a pool, scored on valid and test. */
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { PACKAGE_ROOT, resolveQlibDir, SPLITS } from '../data/index.js';
import { runCombine, type CombineSettings, type DateWindow } from '../combine/run.js';
import { DEFAULT_DEPENDENCE_TOL } from '../combine/solve.js';
import { readPoolFile } from '../pool/index.js';
import { UserError } from '../util/errors.js';
import { floatFlag, givenFlags, intFlag, outDirFlag, poolDataSource, windowFlag } from './common.js';

/** A switch that also takes Python's explicit spelling (`--use_weights True`). */
export function boolSwitch(name: string) {
  return (value: string | undefined): boolean => {
    if (value === undefined) return true;
    if (/^(true|1|yes)$/i.test(value)) return true;
    if (/^(false|0|no)$/i.test(value)) return false;
    throw new InvalidArgumentError(`${name} takes no value (or true/false), got '${value}'.`);
  };
}

/** --window: 'inf' or a number of days. */
function historyDaysFlag(value: string): number {
  if (/^\s*(inf|infinity)\s*$/i.test(value)) return Infinity;
  if (!/^\s*\d+\s*$/.test(value)) throw new InvalidArgumentError(`--window must be 'inf' (expanding) or a number of days >= 2, got '${value}'.`);
  return intFlag('--window', 2)(value);
}

interface CombineFlags {
  pool?: string;
  expressionsFile?: string;
  instruments?: string;
  useWeights: boolean;
  fitWeights: boolean;
  thresholdRic: number;
  thresholdRicir: number;
  nFactors: number;
  window: number;
  labelDays: number;
  linearDepTol: number;
  train: DateWindow;
  valid: DateWindow;
  test: DateWindow;
  qlibDir?: string;
  universe?: string;
  universeFile?: string;
  out?: string;
}

/** Default output folder: `combine` beside the pool, or runs/<pool name> for the package's example pools. */
export function defaultCombineOut(poolPath: string): string {
  const dir = resolve(dirname(poolPath));
  if (dir === join(PACKAGE_ROOT, 'examples')) return join('runs', basename(poolPath).replace(/\.json$/i, ''));
  return join(dirname(poolPath), 'combine');
}

const fmtRange = (w: DateWindow) => `${w.start}:${w.end}`;

export function registerCombine(program: Command): void {
  program
    .command('combine')
    .description(
      'Combine a pool into one daily prediction over the valid and test windows: adaptive (default; each day re-selects alphas by RankIC over the past and refits least squares) or static (--use-weights / --fit-weights). Prints IC, ICIR, RankIC, RankICIR, top-20% return, Sharpe and drawdown per window and writes the prediction for `alphasage backtest`.',
    )
    .option('--pool <file>', 'pool JSON file ({"exprs": [...], "weights": [...]}, as mined or written by hand); required')
    .addOption(new Option('--expressions-file <file>', 'the reference script\'s name for --pool').hideHelp())
    .addOption(new Option('--instruments <name>', 'the reference script\'s name for --universe').hideHelp())
    .option('--use-weights [bool]', 'static: weighted sum of the normalized alphas with the pool file\'s weights', boolSwitch('--use-weights'), false)
    .option('--fit-weights [bool]', 'static: weights fitted by least squares on the train window', boolSwitch('--fit-weights'), false)
    .option('--threshold-ric <x>', 'adaptive: keep alphas with |mean RankIC| above this', floatFlag('--threshold-ric', 0), 0.015)
    .option('--threshold-ricir <x>', 'adaptive: and |RankICIR| above this', floatFlag('--threshold-ricir', 0), 0.15)
    .option('--n-factors <n>', 'adaptive: at most this many alphas a day (the first in pool order)', intFlag('--n-factors', 1), 20)
    .addOption(new Option('--window <inf|N>', "adaptive: history of the selection and fit: 'inf' (expanding from the train start) or N days (rolling)").argParser(historyDaysFlag).default(Infinity, 'inf'))
    .option('--label-days <n>', 'label horizon L of the target Ref($close,-L)/$close-1; history ends L+1 days before each day', intFlag('--label-days', 1, 30), 20)
    .option('--linear-dep-tol <x>', 'drop an alpha from a fit when the share of its variance not explained by the intercept and earlier alphas is below this', floatFlag('--linear-dep-tol', 0, 0.5), DEFAULT_DEPENDENCE_TOL)
    .addOption(new Option('--train <window>', 'history window: its first day starts the expanding window; --fit-weights fits on it (labels known before --valid)').argParser(windowFlag('--train')).default({ ...SPLITS.train }, fmtRange(SPLITS.train)))
    .addOption(new Option('--valid <window>', 'validation window').argParser(windowFlag('--valid')).default({ ...SPLITS.valid }, fmtRange(SPLITS.valid)))
    .addOption(new Option('--test <window>', 'test window').argParser(windowFlag('--test')).default({ ...SPLITS.test }, fmtRange(SPLITS.test)))
    .option('--qlib-dir <dir>', 'Qlib data folder (default: the one the pool was mined on, else the bundled S&P 500 set)')
    .option('--universe <name>', "universe (instruments/<name>.txt) (default: the pool's, else all)")
    .option('--universe-file <file>', 'a Qlib instruments file instead of --universe')
    .option('--out <dir>', "output folder (default: 'combine' beside the pool file; runs/<name> for the examples)", outDirFlag('--out'))
    .action(async (opts: CombineFlags, cmd: Command) => {
      const poolPath = opts.pool ?? opts.expressionsFile;
      if (poolPath === undefined) throw new UserError('give the pool to combine: --pool FILE.json (a mined pool.json, or examples/pool_example.json).');
      if (opts.pool !== undefined && opts.expressionsFile !== undefined) throw new UserError('give --pool or --expressions-file, not both.');
      const universe = opts.instruments ?? opts.universe;
      const universeGiven = universe !== undefined;
      if (universeGiven && opts.universeFile !== undefined) throw new UserError('give either --universe or --universe-file, not both.');
      if (opts.useWeights && opts.fitWeights) throw new UserError('give --use-weights (the pool\'s weights) or --fit-weights (fitted on the train window), not both.');
      const pool = readPoolFile(poolPath);
      const mode = opts.useWeights || opts.fitWeights ? 'static' : 'adaptive';
      const adaptiveOnly = givenFlags(cmd, ['--threshold-ric', '--threshold-ricir', '--n-factors', '--window']);
      if (mode === 'static' && adaptiveOnly.length > 0) {
        throw new UserError(`${adaptiveOnly.join(', ')} ${adaptiveOnly.length > 1 ? 'are' : 'is'} for the adaptive combination; drop ${adaptiveOnly.length > 1 ? 'them' : 'it'}, or drop ${opts.useWeights ? '--use-weights' : '--fit-weights'}.`);
      }
      const settings: CombineSettings = {
        mode,
        staticWeights: opts.fitWeights ? 'fit' : 'pool',
        thresholdRic: opts.thresholdRic,
        thresholdRicir: opts.thresholdRicir,
        nFactors: opts.nFactors,
        window: opts.window,
        labelDays: opts.labelDays,
        dependenceTol: opts.linearDepTol,
        train: opts.train,
        valid: opts.valid,
        test: opts.test,
      };
      const data = poolDataSource(pool, { qlibDir: opts.qlibDir, universe: universeGiven ? universe : undefined, universeFile: opts.universeFile });
      if (data.notice !== undefined) console.log(data.notice);
      const qlibDir = await resolveQlibDir(data.qlibDir);
      const out = opts.out ?? defaultCombineOut(poolPath);
      const t0 = performance.now();
      const r = runCombine({
        poolPath,
        pool,
        qlibDir,
        source: { qlib_dir: data.qlibDir !== undefined ? resolve(data.qlibDir) : null, universe: data.universe ?? 'all', universe_file: data.universeFile !== undefined ? resolve(data.universeFile) : null },
        settings,
        out,
        log: (m) => console.log(m), // progress on stdout: stderr stays a single line on errors
      });
      const what =
        mode === 'adaptive'
          ? `adaptive combination (window ${Number.isFinite(opts.window) ? opts.window : 'inf'}, |RankIC| > ${opts.thresholdRic}, |RankICIR| > ${opts.thresholdRicir}, at most ${opts.nFactors} alphas)`
          : `static combination (${opts.fitWeights ? 'weights fitted on the train window' : "the pool's weights"})`;
      console.log(`${pool.exprs.length} alphas, ${what}; valid ${fmtRange(opts.valid)}, test ${fmtRange(opts.test)}`);
      console.log(r.table);
      for (const note of r.notes) console.log(note);
      if (r.selections) {
        const kept = r.selections.map((s) => s.fit.coef.filter((c) => c !== 0).length);
        const fallback = r.selections.filter((s) => s.fallback).length;
        const interceptOnly = kept.filter((k) => k === 0).length;
        const why = interceptOnly > 0 ? `; on ${interceptOnly} days no alpha stayed in the fit (no variance left after the intercept, e.g. no values): the prediction is the intercept alone` : '';
        console.log(`alphas in the fit: ${(kept.reduce((a, b) => a + b, 0) / kept.length).toFixed(1)} a day on average (min ${Math.min(...kept)}, max ${Math.max(...kept)}); ${fallback} days fell back to the single best alpha${why}`);
      }
      const rel = relative(process.cwd(), out) || '.';
      console.log(`wrote ${rel}/ (metrics.json + metrics.txt, daily.csv, pred.f64 + pred.json, pool.json, mutual_ic.json${r.selections ? ', selection.json' : ''}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      console.log(`next: alphasage backtest --pred ${rel}   then   alphasage report ${rel}`);
    });
}
