/**
 * `alphasage eval`: evaluate expressions on a data window and report IC and
 * RankIC against the 20-day forward return `Ref($close,-20)/$close-1`.
 * With --out, writes the reference layout: values_<i>.f32 (float32 LE,
 * row-major days x stocks, NaN kept) and summary.json.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { resolveQlibDir } from '../data/bundled.js';
import { assertQlibDir } from '../data/qlib.js';
import { SPLIT_NAMES, resolveWindow } from '../data/splits.js';
import { loadStockData, requireCrossSection } from '../data/stockData.js';
import { evaluateTarget, isOutOfRangeError, operatorReference, parseExpr, printExpr, withExprValues, type Expr } from '../expr/index.js';
import { alphaIC, alphaRankIC, RankedTarget } from '../metrics/index.js';
import { pythonJsonToStrict } from '../pool/file.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { UserError, isUserError } from '../util/errors.js';
import { choiceFlag, dateFlag, nanRankIcNote, outDirFlag } from './common.js';

interface EvalOptions {
  qlibDir?: string;
  universe?: string;
  universeFile?: string;
  start?: string;
  end?: string;
  split?: string;
  expr: string[];
  exprs?: string;
  out?: string;
  json: boolean;
}

/** One line of summary.json. */
export interface EvalLine {
  expr: string;
  printed?: string;
  file?: string;
  ic?: number;
  rank_ic?: number;
  eval_ms?: number;
  error?: string;
}

/** Expressions of a file: one per line (blank lines and lines starting with # skipped), or a pool JSON ({"exprs": [...]}). */
export function readExpressionFile(path: string): string[] {
  if (!existsSync(path)) throw new UserError(`--exprs ${path}: no such file; give a text file with one expression per line.`);
  if (!statSync(path).isFile()) throw new UserError(`--exprs ${path} is a folder; give a text file with one expression per line.`);
  const text = readFileSync(path, 'utf8');
  if (/^\s*[[{]/.test(text)) {
    let pool: unknown;
    try {
      pool = JSON.parse(pythonJsonToStrict(text.replace(/^\uFEFF/, ''))); // a pool written by the Python tools: bare NaN words
    } catch (e) {
      throw new UserError(`--exprs ${path}: looks like JSON but does not parse (${(e as Error).message}); give a pool file {"exprs": [...]} or one expression per line.`);
    }
    const exprs = Array.isArray(pool) ? pool : (pool as { exprs?: unknown }).exprs;
    if (!Array.isArray(exprs) || !exprs.every((x) => typeof x === 'string')) {
      throw new UserError(`--exprs ${path}: a JSON file needs "exprs": an array of expression strings (or is such an array).`);
    }
    return exprs as string[];
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function encodeFloat32LE(values: Float64Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

const fmt = (x: number | undefined, digits = 4): string => (x === undefined ? '' : Number.isFinite(x) ? x.toFixed(digits) : 'NaN');

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('Evaluate expressions on a data window: IC and RankIC against Ref($close,-20)/$close-1, evaluation time; optionally write the values.')
    .option('--qlib-dir <dir>', 'Qlib data folder (default: the bundled S&P 500 set)')
    .option('--universe <name>', 'universe (instruments/<name>.txt) (default: all)')
    .option('--universe-file <file>', 'a Qlib instruments file (SYMBOL<TAB>start<TAB>end) instead of --universe')
    .option('--start <date>', 'first day YYYY-MM-DD', dateFlag('--start'))
    .option('--end <date>', 'last day YYYY-MM-DD', dateFlag('--end'))
    .option('--split <name>', `a named window of the bundled data (${SPLIT_NAMES.join(', ')}) instead of --start/--end`, choiceFlag('--split', SPLIT_NAMES))
    .option('--expr <text>', 'an expression, e.g. "TsMean($close,20)" (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--exprs <file>', 'expressions, one per line, # comments and blank lines skipped (or a pool JSON {"exprs": [...]}, or a JSON list)')
    .option('--out <dir>', 'write values_<i>.f32 and summary.json here', outDirFlag('--out'))
    .option('--json', 'print the summary as JSON instead of a table', false)
    .addHelpText('after', '\n' + operatorReference())
    .action(async (opts: EvalOptions) => {
      if (opts.universe !== undefined && opts.universeFile !== undefined) {
        throw new UserError('give either --universe or --universe-file, not both.');
      }
      if (opts.universeFile !== undefined && !existsSync(opts.universeFile)) {
        throw new UserError(`--universe-file ${opts.universeFile}: no such file; give a Qlib instruments file (SYMBOL<TAB>start<TAB>end per line).`);
      }
      const texts = [...opts.expr, ...(opts.exprs !== undefined ? readExpressionFile(opts.exprs) : [])];
      if (texts.length === 0) throw new UserError('nothing to evaluate: give --expr "TsMean($close,20)" or --exprs FILE.');
      // Expressions given on the command line must parse (a typo there is a user error).
      for (const t of opts.expr) parseExpr(t);
      const window = resolveWindow({ split: opts.split, start: opts.start, end: opts.end });
      const qlibDir = await resolveQlibDir(opts.qlibDir);
      assertQlibDir(qlibDir);
      const data = loadStockData({ qlibDir, universe: opts.universe, universeFile: opts.universeFile, start: window.start, end: window.end });
      requireCrossSection(data, 'eval');
      const { nDays, nStocks } = data;
      const target = evaluateTarget(data);
      const rankedTarget = new RankedTarget(target, nDays, nStocks); // ranked once for every line's RankIC
      if (opts.out !== undefined) {
        mkdirSync(opts.out, { recursive: true });
        // Value files of an earlier eval here would sit beside the new summary.json as if they belonged to it.
        for (const f of readdirSync(opts.out)) if (/^values_\d+\.f32$/.test(f) || f === 'summary.json') rmSync(join(opts.out, f));
      }

      const summaryOf = (lines: EvalLine[]) => ({
        n_days: nDays,
        n_stocks: nStocks,
        first_day: data.dates[data.backtrack],
        last_day: data.dates[data.backtrack + nDays - 1],
        symbols: data.symbols,
        exprs: lines,
      });
      // Ctrl-C while writing --out: the value files written so far go (no summary.json, no half a result).
      const written: string[] = [];
      const onInterrupt = (): void => {
        for (const f of written) rmSync(f, { force: true });
        process.stderr.write(`interrupted: removed the ${written.length} value files written so far; nothing of this eval is left in ${opts.out}\n`);
        process.exit(130);
      };
      const outOfRange: string[] = []; // why each out_of_data_range line is out of range, printed under the table
      const evalLine = (text: string, i: number): EvalLine => {
        let e: Expr;
        try {
          e = parseExpr(text);
        } catch (err) {
          if (isUserError(err)) return { expr: text, error: `parse_error: ${err.message}` };
          throw err;
        }
        const printed = printExpr(e);
        const t0 = performance.now();
        try {
          // The values are read where the evaluation left them (eval_ms: evaluation alone).
          return withExprValues(e, data, (values) => {
            const evalMs = performance.now() - t0;
            const line: EvalLine = { expr: text, printed };
            if (opts.out !== undefined) {
              line.file = `values_${i}.f32`;
              writeFileAtomic(join(opts.out, line.file), encodeFloat32LE(values));
              written.push(join(opts.out, line.file));
            }
            line.ic = alphaIC(values, target, nDays, nStocks);
            line.rank_ic = alphaRankIC(values, rankedTarget, nDays, nStocks);
            line.eval_ms = Math.round(evalMs * 1000) / 1000;
            return line;
          });
        } catch (err) {
          if (isOutOfRangeError(err)) {
            outOfRange.push(`line ${i}: ${err.message}`);
            return { expr: text, printed, error: 'out_of_data_range' };
          }
          throw err;
        }
      };
      const lines: EvalLine[] = [];
      if (opts.out !== undefined) {
        process.once('SIGINT', onInterrupt);
        process.once('SIGTERM', onInterrupt);
      }
      try {
        for (const [i, text] of texts.entries()) {
          lines.push(evalLine(text, i));
          if (opts.out !== undefined) await new Promise((r) => setImmediate(r)); // lets a Ctrl-C be handled between lines
        }
        if (opts.out !== undefined) writeJsonAtomic(join(opts.out, 'summary.json'), summaryOf(lines));
      } finally {
        process.removeListener('SIGINT', onInterrupt);
        process.removeListener('SIGTERM', onInterrupt);
      }

      const summary = summaryOf(lines);
      if (opts.json) {
        process.stdout.write(JSON.stringify(summary, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
        return;
      }
      const universe = opts.universeFile ?? opts.universe ?? 'all';
      console.log(`${universe}: ${nDays} days (${summary.first_day}..${summary.last_day}) x ${nStocks} stocks; target Ref($close,-20)/$close-1`);
      const width = Math.min(70, Math.max(10, ...lines.map((l) => (l.printed ?? l.expr).length)));
      console.log(`${'#'.padStart(3)}  ${'expression'.padEnd(width)}  ${'IC'.padStart(8)}  ${'RankIC'.padStart(8)}  ${'eval ms'.padStart(8)}`);
      lines.forEach((l, i) => {
        const name = l.printed ?? l.expr;
        const shown = name.length > width ? name.slice(0, width - 3) + '...' : name;
        const tail = l.error !== undefined ? l.error.split(';')[0] : `${fmt(l.ic).padStart(8)}  ${fmt(l.rank_ic).padStart(8)}  ${fmt(l.eval_ms, 2).padStart(8)}`;
        console.log(`${String(i).padStart(3)}  ${shown.padEnd(width)}  ${tail}`);
      });
      const note = nanRankIcNote(lines.map((l) => l.rank_ic));
      if (note) console.log(note);
      // The loader pads the window with 100 days before and 30 after (Qlib's max_backtrack_days / max_future_days).
      for (const why of outOfRange) console.log(`out_of_data_range ${why}: shorten its windows or Ref offsets.`);
      if (opts.out !== undefined) console.log(`wrote ${lines.filter((l) => l.file).length} value files and summary.json to ${opts.out}`);
    });
}
