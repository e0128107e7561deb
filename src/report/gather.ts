/**
 * Finds what a report can show in a folder: a mining run (metrics.jsonl,
 * pool.json / pool_<episode>.json), the output of `alphasage combine` (in the
 * folder itself or in a sub-folder such as <run>/combine) and the backtest
 * written beside it. Anything missing is left out, with a note saying how to get it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { readPoolFile, type PoolFile } from '../pool/index.js';
import { UserError } from '../util/errors.js';
import type { PredictionMetrics } from '../combine/metrics.js';
import type { AlphaStats } from '../combine/run.js';
import type { BacktestSummary, LongShortSummary } from '../backtest/run.js';

export interface CombineDaily {
  date: string;
  segment: string;
  ic: number;
  rankIc: number;
  ret: number;
  nSelected: number;
}

export interface CombineInfo {
  dir: string;
  mode: string;
  settings: Record<string, unknown>;
  windows: Record<string, PredictionMetrics & { start: string; end: string; days: number }>;
  alphas: AlphaStats[];
  daily: CombineDaily[];
  mutual: { exprs: string[]; matrix: number[][]; window: { start: string; end: string } } | null;
  /** combine's caveats on its metrics, as it printed them ('note: ...'; absent in files of older versions). */
  notes: string[];
}

export interface BacktestDaily {
  date: string;
  value: number;
  return: number;
  cost: number;
  turnover: number;
  bench: number;
  nHold: number;
  lsReturn: number | null;
  lsCost: number | null;
}

export interface BacktestInfo {
  settings: Record<string, unknown>;
  summary: BacktestSummary;
  longShort: LongShortSummary | null;
  daily: BacktestDaily[];
}

/** One metrics.jsonl record; the fields the charts use (others are kept but unused). */
export interface TrainingRecord {
  episode: number;
  [field: string]: number | null;
}

export interface ReportInputs {
  dir: string;
  title: string;
  pool: { path: string; file: PoolFile } | null;
  combine: CombineInfo | null;
  backtest: BacktestInfo | null;
  training: TrainingRecord[] | null;
  trainingPath: string | null;
  notes: string[];
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new UserError(`${path} is not valid JSON (${(e as Error).message}); re-run the command that wrote it.`);
  }
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** A folder given by path, or a run name under runs/. */
export function resolveReportDir(arg: string): string {
  if (isDir(arg)) return resolve(arg);
  if (existsSync(arg)) throw new UserError(`${arg} is a file; give the run folder or the folder 'alphasage combine' wrote.`);
  const inRuns = join('runs', arg);
  if (isDir(inRuns)) return resolve(inRuns);
  throw new UserError(`no folder '${arg}'${isAbsolute(arg) ? '' : ` (nor runs/${arg})`}; give a mining run folder or an 'alphasage combine' output folder.`);
}

function isCombineDir(d: string): boolean {
  return existsSync(join(d, 'metrics.json')) && existsSync(join(d, 'daily.csv'));
}

function parseCsv(path: string): Record<string, string>[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const head = lines[0].split(',');
  return lines.slice(1).map((l) => {
    const cells = l.split(',');
    const row: Record<string, string> = {};
    head.forEach((h, i) => (row[h] = cells[i] ?? ''));
    return row;
  });
}

const num = (s: string | undefined): number => (s === undefined || s === '' ? NaN : Number(s));

function readCombine(dir: string): CombineInfo {
  const m = readJson<{ mode: string; settings: Record<string, unknown>; windows: CombineInfo['windows']; alphas: AlphaStats[]; notes?: unknown }>(join(dir, 'metrics.json'));
  const windowsOk = m.windows && typeof m.windows === 'object' && Object.values(m.windows).every((w) => w && typeof w === 'object');
  if (!windowsOk || !Array.isArray(m.alphas)) throw new UserError(`${join(dir, 'metrics.json')} is not an 'alphasage combine' metrics file; re-run combine.`);
  const daily = parseCsv(join(dir, 'daily.csv')).map((r) => ({
    date: r.date,
    segment: r.segment,
    ic: num(r.ic),
    rankIc: num(r.rank_ic),
    ret: num(r.ret),
    nSelected: num(r.n_selected),
  }));
  const mutualPath = join(dir, 'mutual_ic.json');
  const mutual = existsSync(mutualPath) ? readJson<CombineInfo['mutual']>(mutualPath) : null;
  const mm = mutual as { matrix?: unknown; window?: { start?: unknown } } | null;
  if (mm && (!Array.isArray(mm.matrix) || !mm.matrix.every((r) => Array.isArray(r)) || typeof mm.window?.start !== 'string')) {
    throw new UserError(`${mutualPath} is not an 'alphasage combine' mutual-IC file (matrix, window); re-run combine.`);
  }
  const notes = Array.isArray(m.notes) ? m.notes.filter((n): n is string => typeof n === 'string') : [];
  return { dir, mode: m.mode, settings: m.settings, windows: m.windows, alphas: m.alphas, daily, mutual, notes };
}

function readBacktest(dir: string): BacktestInfo | null {
  const jsonPath = join(dir, 'backtest.json');
  const csvPath = join(dir, 'backtest_daily.csv');
  if (!existsSync(jsonPath) || !existsSync(csvPath)) return null;
  const j = readJson<{ settings: Record<string, unknown>; summary: BacktestSummary; long_short: LongShortSummary | null }>(jsonPath);
  const sum = j.summary as Partial<BacktestSummary> | undefined;
  if (!sum || typeof sum.strategy !== 'object' || typeof sum.excess_return_with_cost !== 'object') {
    throw new UserError(`${jsonPath} is not an 'alphasage backtest' result (summary.strategy, summary.excess_return_with_cost); re-run backtest.`);
  }
  const daily = parseCsv(csvPath).map((r) => ({
    date: r.date,
    value: num(r.value),
    return: num(r.return),
    cost: num(r.cost),
    turnover: num(r.turnover),
    bench: num(r.bench),
    nHold: num(r.n_hold),
    lsReturn: r.ls_return === undefined ? null : num(r.ls_return),
    lsCost: r.ls_cost === undefined ? null : num(r.ls_cost),
  }));
  return { settings: j.settings, summary: j.summary, longShort: j.long_short, daily };
}

/** metrics.jsonl: one JSON object per line with at least `episode`; bad lines are skipped (a run may be writing). */
function readTraining(path: string): TrainingRecord[] {
  const out: TrainingRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    if (line.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof obj !== 'object' || obj === null) continue;
    const rec: TrainingRecord = { episode: NaN };
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      if (typeof v === 'number') rec[k] = v;
      else if (v === null) rec[k] = null;
    }
    if (typeof rec.episode === 'number' && Number.isFinite(rec.episode)) out.push(rec);
  }
  return out.sort((a, b) => a.episode - b.episode);
}

/** The newest pool file of a run: pool.json, else the pool_<episode>.json with the largest episode. */
function findPool(dir: string): string | null {
  if (existsSync(join(dir, 'pool.json'))) return join(dir, 'pool.json');
  let best: string | null = null;
  let bestEp = -1;
  for (const f of readdirSync(dir)) {
    const m = /^pool_(\d+)\.json$/.exec(f);
    if (m && Number(m[1]) > bestEp) {
      bestEp = Number(m[1]);
      best = join(dir, f);
    }
  }
  return best;
}

export function gatherReportInputs(arg: string): ReportInputs {
  const dir = resolveReportDir(arg);
  const notes: string[] = [];
  // the combine output: this folder, else the newest sub-folder holding one
  let combineDir: string | null = isCombineDir(dir) ? dir : null;
  if (!combineDir) {
    const subs = readdirSync(dir)
      .map((f) => join(dir, f))
      .filter((p) => isDir(p) && isCombineDir(p))
      .sort((a, b) => statSync(join(b, 'metrics.json')).mtimeMs - statSync(join(a, 'metrics.json')).mtimeMs);
    combineDir = subs[0] ?? null;
    if (subs.length > 1) notes.push(`${subs.length} combination folders found; showing the newest, ${basename(subs[0])}/.`);
  }
  const combine = combineDir ? readCombine(combineDir) : null;
  // the run folder: holds metrics.jsonl (this folder or the combine folder's parent)
  const runCandidates = [dir, ...(combineDir ? [dirname(combineDir)] : [])];
  const runDir = runCandidates.find((d) => existsSync(join(d, 'metrics.jsonl'))) ?? null;
  const trainingPath = runDir ? join(runDir, 'metrics.jsonl') : null;
  const training = trainingPath ? readTraining(trainingPath) : null;

  let poolPath: string | null = null;
  if (combineDir && existsSync(join(combineDir, 'pool.json'))) poolPath = join(combineDir, 'pool.json');
  else if (runDir) poolPath = findPool(runDir);
  else poolPath = findPool(dir);
  const pool = poolPath ? { path: poolPath, file: readPoolFile(poolPath) } : null;
  const backtest = combineDir ? readBacktest(combineDir) : null;

  if (!combine && !pool && !training) {
    throw new UserError(`nothing to report in ${dir}: no combine output (metrics.json + daily.csv), pool file or metrics.jsonl; run 'alphasage combine --pool FILE --out ${arg}' first.`);
  }
  if (!combine) notes.push(`No combination output: run 'alphasage combine --pool ${poolPath ?? 'POOL.json'}' to add the IC, return and heatmap sections.`);
  else if (!backtest) notes.push(`No backtest: run 'alphasage backtest --pred ${combineDir}' to add the cumulative return and drawdown charts.`);
  if (!training || training.length === 0) notes.push('No training curves: this folder has no metrics.jsonl from `alphasage mine`.');
  return { dir, title: basename(dir), pool, combine, backtest, training: training && training.length > 0 ? training : null, trainingPath, notes };
}
