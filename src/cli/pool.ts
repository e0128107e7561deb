/** `alphasage pool show|eval`: inspect a pool file, and evaluate it on a window. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { daySpan, loadStockData, requireCrossSection, resolveQlibDir, resolveWindow, SPLIT_NAMES, SPLITS } from '../data/index.js';
import { evaluatePool, readPoolFile, type PoolEvaluation, type PoolFile } from '../pool/index.js';
import { jsonNumberReplacer } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { choiceFlag, dateFlag, nanRankIcNote, poolDataSource } from './common.js';

const fmt = (x: number | undefined, digits = 4): string => (x === undefined ? '-' : Number.isFinite(x) ? x.toFixed(digits) : 'NaN');

/** Largest and mean |mutual IC| over pairs of distinct members. */
export function mutualSummary(m: readonly (readonly number[])[]): { maxAbs: number; meanAbs: number; pair: [number, number] } | undefined {
  let maxAbs = -1;
  let sum = 0;
  let count = 0;
  let pair: [number, number] = [0, 0];
  for (let i = 0; i < m.length; i++) {
    for (let j = i + 1; j < m.length; j++) {
      const v = Math.abs(m[i][j]);
      if (!Number.isFinite(v)) continue;
      sum += v;
      count++;
      if (v > maxAbs) {
        maxAbs = v;
        pair = [i, j];
      }
    }
  }
  return count === 0 ? undefined : { maxAbs, meanAbs: sum / count, pair };
}

function printShow(path: string, pool: PoolFile): void {
  console.log(`pool: ${path}`);
  const facts = [`${pool.exprs.length} members`];
  if (pool.window) facts.push(`window ${pool.window.start}..${pool.window.end} (universe ${pool.window.universe})`);
  if (pool.seed !== undefined) facts.push(`seed ${pool.seed}`);
  if (pool.embeddings && pool.embeddings.length > 0) facts.push(`embeddings ${pool.embeddings.length} x ${pool.embeddings[0].length}`);
  console.log(facts.join(', '));
  const width = String(pool.exprs.length).length;
  console.log(`${'#'.padStart(width)}  ${'weight'.padStart(10)}  ${'IC'.padStart(8)}  expression`);
  pool.exprs.forEach((e, i) => {
    console.log(`${String(i + 1).padStart(width)}  ${fmt(pool.weights[i], 6).padStart(10)}  ${fmt(pool.ics?.[i]).padStart(8)}  ${e}`);
  });
  if (!pool.ics) console.log('(no single ICs stored in the file: `alphasage pool eval` computes them on a window)');
  const summary = pool.mutual_ics ? mutualSummary(pool.mutual_ics) : undefined;
  if (summary) {
    console.log(`mutual IC: max |IC| ${fmt(summary.maxAbs)} (members ${summary.pair[0] + 1} and ${summary.pair[1] + 1}), mean |IC| ${fmt(summary.meanAbs)} over ${(pool.exprs.length * (pool.exprs.length - 1)) / 2} pairs`);
  } else if (pool.exprs.length > 1) {
    console.log('mutual IC: not stored in the file');
  }
}

function printEval(path: string, window: string, r: PoolEvaluation): void {
  console.log(`pool: ${path}`);
  console.log(`window: ${window}`);
  const width = String(r.members.length).length;
  console.log(`${'#'.padStart(width)}  ${'weight'.padStart(10)}  ${'IC'.padStart(8)}  ${'RankIC'.padStart(8)}  expression`);
  r.members.forEach((m, i) => {
    console.log(`${String(i + 1).padStart(width)}  ${fmt(m.weight, 6).padStart(10)}  ${fmt(m.ic).padStart(8)}  ${fmt(m.rank_ic).padStart(8)}  ${m.expr}`);
  });
  const e = r.ensemble;
  const note = nanRankIcNote(r.members.map((m) => m.rank_ic));
  if (note) console.log(note);
  console.log(`ensemble: IC ${fmt(e.ic)}  ICIR ${fmt(e.icir)}  RankIC ${fmt(e.rank_ic)}  RankICIR ${fmt(e.rank_icir)}`);
}

export function registerPool(program: Command): void {
  const pool = program.command('pool').description('Inspect alpha pool files and evaluate them on a window.');

  pool
    .command('show')
    .description('Members, weights, ICs and a mutual-IC summary of a pool file (Python {exprs, weights} files work too).')
    .argument('<file>', 'pool JSON file')
    .action((file: string) => {
      printShow(file, readPoolFile(file));
    });

  pool
    .command('eval')
    .description('IC, ICIR, RankIC, RankICIR of the weighted combination of a pool and of each member, on a window (default: the test split).')
    .argument('<file>', 'pool JSON file')
    .option('--split <name>', `a named window of the bundled data: ${SPLIT_NAMES.join(', ')} (default test)`, choiceFlag('--split', SPLIT_NAMES))
    .option('--start <date>', 'first day of the window (with --end)', dateFlag('--start'))
    .option('--end <date>', 'last day of the window (with --start)', dateFlag('--end'))
    .option('--qlib-dir <dir>', "Qlib data folder (default: the one the pool was mined on, else the bundled S&P 500 set)")
    .option('--universe <name>', "universe (instruments/<name>.txt) (default: the pool's, else all)")
    .option('--universe-file <file>', 'a Qlib instruments file instead of --universe')
    .option('--json', 'print {"data": {days, stocks, folder, universe}, "members": [...], "ensemble": {...}} as JSON', false)
    .action(async (file: string, opts: { split?: string; start?: string; end?: string; qlibDir?: string; universe?: string; universeFile?: string; json: boolean }) => {
      if (opts.universe !== undefined && opts.universeFile !== undefined) throw new UserError('give either --universe or --universe-file, not both.');
      const poolFile = readPoolFile(file);
      const window = resolveWindow(opts, SPLITS.test);
      const source = poolDataSource(poolFile, opts);
      // With --json, stdout is the JSON alone.
      if (source.notice !== undefined) (opts.json ? console.error : console.log)(source.notice);
      const qlibDir = await resolveQlibDir(source.qlibDir);
      const data = loadStockData({ qlibDir, universe: source.universe, universeFile: source.universeFile, start: window.start, end: window.end });
      requireCrossSection(data, 'pool eval');
      const result = evaluatePool(poolFile, data);
      if (opts.json) {
        // Exactly the documented shape, members in file order; NaN as null. `data`: what the numbers were computed on.
        const out = {
          data: {
            first_day: data.dates[data.backtrack],
            last_day: data.dates[data.backtrack + data.nDays - 1],
            n_days: data.nDays,
            n_stocks: data.nStocks,
            qlib_dir: source.qlibDir !== undefined ? resolve(source.qlibDir) : null,
            universe: source.universeFile !== undefined ? resolve(source.universeFile) : (source.universe ?? 'all'),
          },
          members: result.members.map((m) => ({ expr: m.expr, weight: m.weight, ic: m.ic, rank_ic: m.rank_ic })),
          ensemble: { ic: result.ensemble.ic, icir: result.ensemble.icir, rank_ic: result.ensemble.rank_ic, rank_icir: result.ensemble.rank_icir },
        };
        console.log(JSON.stringify(out, jsonNumberReplacer, 2));
      } else {
        const days = daySpan(data);
        printEval(file, `${days} (${data.nDays} days x ${data.nStocks} stocks, universe ${source.universeFile ?? source.universe ?? 'all'})`, result);
      }
    });
}
