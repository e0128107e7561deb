/** Shared CLI helpers: flag parsers (each throws an error naming the flag and the fix), the data a pool command reads, table notes. */
import { InvalidArgumentError, type Command } from 'commander';
import { existsSync, lstatSync, mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { SPLITS, type DateWindow } from '../data/index.js';
import { isCalendarDate } from '../util/dates.js';
import type { PoolFile } from '../pool/file.js';
import { UserError } from '../util/errors.js';

/** "in [a, b]", or ">= a" / "<= b" when the other end is open. */
function range(min: number, max: number): string {
  if (max === Infinity) return `>= ${min}`;
  if (min === -Infinity) return `<= ${max}`;
  return `in [${min}, ${max}]`;
}

export function intFlag(name: string, min = -Infinity, max = Infinity) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`${name} must be an integer, got '${value}'.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be ${range(min, max)}, got ${n}.`);
    return n;
  };
}

export function floatFlag(name: string, min = -Infinity, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    // Decimal only: Number() would also read 0x10 as 16.
    if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value) || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got '${value}'.`);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be ${range(min, max)}, got ${n}.`);
    return n;
  };
}

export function dateFlag(name: string) {
  return (value: string): string => {
    if (!isCalendarDate(value)) {
      throw new InvalidArgumentError(`${name} must be a calendar day YYYY-MM-DD, got '${value}'.`);
    }
    return value;
  };
}

/** A window: a split of the bundled data (train, valid, test) or START:END with dates YYYY-MM-DD (START..END too). */
export function windowFlag(name: string) {
  return (value: string): DateWindow => {
    const text = value.trim();
    if (Object.hasOwn(SPLITS, text)) return { ...(SPLITS as Record<string, DateWindow>)[text] }; // own keys only: not 'toString'
    const m = /^(\d{4}-\d{2}-\d{2})(?::|\.\.)(\d{4}-\d{2}-\d{2})$/.exec(text);
    if (!m) {
      throw new InvalidArgumentError(`${name} must be a split (${Object.keys(SPLITS).join(', ')}) or START:END with dates YYYY-MM-DD (e.g. 2016-01-01:2016-12-31), got '${value}'.`);
    }
    const start = dateFlag(name)(m[1]);
    const end = dateFlag(name)(m[2]);
    if (end < start) throw new InvalidArgumentError(`${name} ends (${end}) before it starts (${start}); give START:END in order.`);
    return { start, end };
  };
}

/** windowFlag for a value read in a command's action (a user error, not a parse error). */
export function parseWindow(name: string, value: string): DateWindow {
  try {
    return windowFlag(name)(value);
  } catch (e) {
    throw e instanceof InvalidArgumentError ? new UserError(e.message) : e;
  }
}

/** An output folder flag: not empty, not an existing file, and creatable (see checkOutPath). */
export function outDirFlag(name: string) {
  return (value: string): string => checkOutPath(name, value, 'folder');
}

/** An output file flag: not empty, not an existing folder, and creatable (see checkOutPath). */
export function outFileFlag(name: string) {
  return (value: string): string => checkOutPath(name, value, 'file');
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Checked when the flag is parsed, so a bad path fails before any work: the nearest existing part of the path must be a writable folder. */
function checkOutPath(name: string, value: string, kind: 'folder' | 'file'): string {
  if (value.trim() === '') throw new InvalidArgumentError(`${name} is empty; give a ${kind} path.`);
  const abs = resolve(value);
  if (existsSync(abs)) {
    const isDir = statSync(abs).isDirectory();
    if (kind === 'folder' && !isDir) throw new InvalidArgumentError(`${name} ${value} is a file; give a folder path.`);
    if (kind === 'file' && isDir) throw new InvalidArgumentError(`${name} ${value} is a folder; give a file path.`);
    return value;
  }
  if (isSymlink(abs)) throw new InvalidArgumentError(`${name} ${value} is a link to nothing; give a ${kind} path.`);
  let up = dirname(abs);
  while (!existsSync(up)) up = dirname(up);
  if (!statSync(up).isDirectory()) throw new InvalidArgumentError(`${name} ${value}: ${up} is a file, so nothing can be created under it; give another path.`);
  // A real probe, not access(W_OK): root passes that check on /sys and /proc, where nothing can be created
  // (and Node's recursive mkdir loops forever under /proc).
  try {
    rmdirSync(mkdtempSync(join(up, '.alphasage-probe-')));
  } catch (e) {
    throw new InvalidArgumentError(`${name} ${value}: nothing can be created in ${up} (${(e as NodeJS.ErrnoException).code ?? 'error'}); give another path.`);
  }
  return value;
}

export function choiceFlag<T extends string>(name: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')}, got '${value}'.`);
    }
    return value as T;
  };
}

/**
 * Accept the Python snake_case spelling of every long flag (`--pool_capacity`
 * -> `--pool-capacity`). Only the flag name is rewritten, never its value.
 */
export function normalizeFlagSpelling(argv: readonly string[]): string[] {
  return argv.map((a) => {
    const m = /^--([A-Za-z0-9_]+)(=.*)?$/s.exec(a);
    if (!m || !m[1].includes('_')) return a;
    return `--${m[1].replace(/_/g, '-')}${m[2] ?? ''}`;
  });
}

/** A line explaining NaN RankICs in a printed table, or undefined when it shows none. */
export function nanRankIcNote(rankIcs: readonly (number | undefined)[]): string | undefined {
  if (!rankIcs.some((x) => x !== undefined && Number.isNaN(x))) return undefined;
  return 'NaN RankIC: on some day no stock has both a value of the alpha and of the target; the mean over days is then NaN, as in the Python reference (the IC counts such days as 0).';
}

/** The data a pool command reads, and the line that says where it came from. */
export interface PoolDataSource {
  /** Qlib folder; undefined = the bundled set. */
  qlibDir: string | undefined;
  universe: string | undefined;
  universeFile: string | undefined;
  /** Printed before the results: where the data came from, or why it differs from the pool's. */
  notice: string | undefined;
}

/**
 * Flags first; what they leave out comes from the data the pool was mined on
 * (pool.json's window: Qlib folder and universe), else the bundled set and
 * universe all. A pool mined on other data is not silently scored on the
 * bundled set.
 */
export function poolDataSource(pool: PoolFile, flags: { qlibDir?: string; universe?: string; universeFile?: string }): PoolDataSource {
  const mined = pool.window;
  const minedDir = mined?.qlib_dir;
  const universeGiven = flags.universe !== undefined || flags.universeFile !== undefined;
  let universe = flags.universe;
  let universeFile = flags.universeFile;
  if (!universeGiven && mined !== undefined) {
    if (isAbsolute(mined.universe)) universeFile = mined.universe;
    else universe = mined.universe;
  }
  if (flags.qlibDir === undefined && minedDir !== undefined && !existsSync(minedDir)) {
    throw new UserError(`the pool was mined on ${minedDir}, which does not exist here; pass --qlib-dir with that data, or another Qlib folder to evaluate there.`);
  }
  if (universeFile !== undefined && !existsSync(universeFile)) {
    throw new UserError(`universe file ${universeFile} does not exist${universeGiven ? '' : " (the pool's universe)"}; pass --universe or --universe-file.`);
  }
  const qlibDir = flags.qlibDir ?? minedDir;
  const dataName = (dir: string | undefined) => dir ?? 'the bundled S&P 500 set';
  const universeName = universeFile ?? universe ?? 'all';
  let notice: string | undefined;
  if (mined !== undefined) {
    const sameDir = (flags.qlibDir === undefined ? minedDir : resolve(flags.qlibDir)) === minedDir;
    const sameUniverse = universeName === mined.universe;
    if (sameDir && sameUniverse && (minedDir !== undefined || mined.universe !== 'all')) {
      notice = `data: ${dataName(qlibDir)}, universe ${universeName}: where the pool was mined (its pool.json); --qlib-dir and --universe choose others.`;
    } else if (!sameDir || !sameUniverse) {
      notice = `note: the pool was mined on ${dataName(minedDir)}, universe ${mined.universe}; scoring it on ${dataName(qlibDir)}, universe ${universeName}, as asked.`;
    }
  }
  return { qlibDir, universe, universeFile, notice };
}

/** Which of these flags (--ls-quantile) the user typed, as opposed to defaults. */
export function givenFlags(cmd: Command, flags: readonly string[]): string[] {
  // Commander keys options by attribute name: --ls-quantile -> lsQuantile.
  return flags.filter((f) => cmd.getOptionValueSource(f.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())) === 'cli');
}
