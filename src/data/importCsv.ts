/**
 * Long CSV (date, symbol, open, high, low, close, volume[, vwap, amount, factor])
 * -> Qlib binary layout, written the way Qlib's dump_bin writes it. The file is
 * streamed (gunzip + csv-parse); the result is built in a temp folder and renamed
 * into place, so a failed import leaves nothing half-written.
 */
import { createReadStream, existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { UserError } from '../util/errors.js';
import { isCalendarDate } from '../util/dates.js';
import { isSafeSymbol } from './symbols.js';
import { encodeFeatureBin } from './qlib.js';

const REQUIRED = ['date', 'symbol', 'open', 'high', 'low', 'close', 'volume'] as const;
const OPTIONAL = ['vwap', 'amount', 'factor'] as const;

export interface ImportOptions {
  csv: string;
  out: string;
  /** Replace an existing non-empty output folder. */
  force?: boolean;
  /** Called with (bytesRead, totalBytes) as the file streams. */
  onProgress?: (done: number, total: number) => void;
  /** One-line notices (e.g. how vwap was derived). */
  notice?: (msg: string) => void;
}

export interface ImportSummary {
  rows: number;
  symbols: number;
  days: number;
  firstDay: string;
  lastDay: string;
  fields: string[];
  vwapSource: 'column' | 'amount/volume' | '(high+low+close)/3';
  blankCells: number;
}

interface SymbolRows {
  dates: string[];
  /** Per field, one value per row (NaN for blanks). */
  cols: number[][];
}

function parseNumber(s: string): number {
  if (s === '') return NaN;
  const v = Number(s);
  return v;
}

/** What a Qlib data folder holds at its top level; --force replaces nothing else. */
const QLIB_ENTRIES = new Set(['calendars', 'features', 'instruments']);

/**
 * --force deletes the old folder, so it must be a Qlib data folder (an earlier
 * import), and neither hold the CSV being read nor the working directory.
 */
function refuseToReplace(out: string, given: string, csvPath: string): void {
  const real = realpathSync(out); // symlinks resolved, as process.cwd() is
  const inside = (p: string) => p === real || p.startsWith(real + sep);
  if (!statSync(out).isDirectory()) throw new UserError(`--out ${given} is a file, not a folder; choose a new or empty folder.`);
  if (inside(realpathSync(csvPath))) throw new UserError(`--out ${given} holds the CSV being imported, which --force would delete; choose another --out.`);
  if (inside(process.cwd())) throw new UserError(`--out ${given} holds the working directory, which --force would delete; choose another --out.`);
  const others = readdirSync(out).filter((e) => !QLIB_ENTRIES.has(e));
  if (others.length > 0 || !existsSync(join(out, 'calendars', 'day.txt'))) {
    const what = others.length > 0 ? `holds ${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''}` : 'has no calendars/day.txt';
    throw new UserError(`--out ${given} is not a Qlib data folder (it ${what}); --force only replaces an earlier import: choose a new or empty folder.`);
  }
}

export async function importCsv(opts: ImportOptions): Promise<ImportSummary> {
  const csvPath = resolve(opts.csv);
  if (!existsSync(csvPath) || !statSync(csvPath).isFile()) {
    throw new UserError(`CSV file '${opts.csv}' does not exist; pass --csv with a long-format CSV (date,symbol,open,high,low,close,volume), optionally .gz.`);
  }
  const out = resolve(opts.out);
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    if (!opts.force) throw new UserError(`output folder '${opts.out}' already exists and is not empty; choose another --out or add --force to replace it.`);
    refuseToReplace(out, opts.out, csvPath);
  }
  const total = statSync(csvPath).size;
  const raw = createReadStream(csvPath);
  let done = 0;
  raw.on('data', (chunk) => {
    done += chunk.length;
    opts.onProgress?.(done, total);
  });
  const source = csvPath.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const parser = source.pipe(parse({ trim: true, skip_empty_lines: true, relax_column_count: false }));
  // pipe() does not forward errors: a bad gzip or a read error must end the loop below, not the process.
  for (const stream of new Set([raw, source])) stream.on('error', (e: Error) => parser.destroy(e));

  let header: string[] | undefined;
  let colIndex: number[] = [];
  let fieldNames: string[] = [];
  const bySymbol = new Map<string, SymbolRows>();
  const allDates = new Set<string>();
  let rows = 0;
  let blankCells = 0;
  let line = 1;
  try {
    for await (const rec of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = rec.map((h) => h.toLowerCase());
        for (const r of REQUIRED) {
          if (!header.includes(r)) {
            throw new UserError(`CSV header lacks the column '${r}' (has: ${rec.join(', ')}); the importer needs date, symbol, open, high, low, close, volume.`);
          }
        }
        fieldNames = ['open', 'high', 'low', 'close', 'volume', ...OPTIONAL.filter((o) => header!.includes(o))];
        colIndex = fieldNames.map((f) => header!.indexOf(f));
        continue;
      }
      line++;
      const date = rec[header.indexOf('date')].slice(0, 10);
      if (!isCalendarDate(date)) {
        throw new UserError(`${opts.csv}: line ${line}: date '${rec[header.indexOf('date')]}' is not a calendar day YYYY-MM-DD; fix the file.`);
      }
      const symbol = rec[header.indexOf('symbol')].toUpperCase();
      if (symbol === '') throw new UserError(`${opts.csv}: line ${line}: empty symbol; fix the file.`);
      if (!isSafeSymbol(symbol)) throw new UserError(`${opts.csv}: line ${line}: symbol '${rec[header.indexOf('symbol')]}' cannot name a folder (it holds a path separator or a blank, or is . or ..); fix the file.`);
      let entry = bySymbol.get(symbol);
      if (!entry) {
        entry = { dates: [], cols: fieldNames.map(() => []) };
        bySymbol.set(symbol, entry);
      }
      entry.dates.push(date);
      for (let f = 0; f < fieldNames.length; f++) {
        const cell = rec[colIndex[f]];
        const v = parseNumber(cell);
        if (cell === '') blankCells++;
        else if (Number.isNaN(v)) {
          throw new UserError(`${opts.csv}: line ${line}: ${fieldNames[f]} '${cell}' is not a number; fix the file (leave a cell blank for missing).`);
        }
        entry.cols[f].push(v);
      }
      allDates.add(date);
      rows++;
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    const err = e as Error & { code?: string; lines?: number };
    if (err.code?.startsWith('CSV_')) throw new UserError(`${opts.csv}: malformed CSV: ${err.message.split('\n')[0]}; fix the file.`);
    if (err.code === 'Z_DATA_ERROR') throw new UserError(`${opts.csv}: not a valid gzip file; pass a .csv or a gzip-compressed .csv.gz.`);
    if (err.code === 'Z_BUF_ERROR') throw new UserError(`${opts.csv}: the gzip file ends early (a cut download?); fetch or compress it again.`);
    throw e;
  }
  if (!header || rows === 0) throw new UserError(`${opts.csv} has no data rows; pass a CSV with a header and one row per (date, symbol).`);

  const calendar = Array.from(allDates).sort();
  const dayIndex = new Map(calendar.map((d, i) => [d, i]));
  const has = (f: string) => fieldNames.includes(f);
  const vwapSource: ImportSummary['vwapSource'] = has('vwap') ? 'column' : has('amount') ? 'amount/volume' : '(high+low+close)/3';
  if (vwapSource !== 'column') opts.notice?.(`no vwap column: deriving vwap = ${vwapSource}`);

  const symbols = Array.from(bySymbol.keys()).sort();
  const tmp = `${out}.importing-${process.pid}`;
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(join(tmp, 'calendars'), { recursive: true });
    mkdirSync(join(tmp, 'instruments'), { recursive: true });
    writeFileSync(join(tmp, 'calendars', 'day.txt'), calendar.join('\n') + '\n');

    const instrumentLines: string[] = [];
    const fi = (f: string) => fieldNames.indexOf(f);
    for (const symbol of symbols) {
      const entry = bySymbol.get(symbol)!;
      const idx = entry.dates.map((d) => dayIndex.get(d)!);
      let first = Infinity;
      let last = -Infinity;
      for (const i of idx) {
        if (i < first) first = i;
        if (i > last) last = i;
      }
      const len = last - first + 1;
      const seen = new Uint8Array(len);
      const series = fieldNames.map(() => new Float64Array(len).fill(NaN));
      for (let r = 0; r < idx.length; r++) {
        const k = idx[r] - first;
        if (seen[k]) throw new UserError(`${opts.csv}: ${symbol} has two rows for ${entry.dates[r]}; keep one row per (date, symbol).`);
        seen[k] = 1;
        for (let f = 0; f < fieldNames.length; f++) series[f][k] = entry.cols[f][r];
      }
      let vwap: Float64Array;
      if (vwapSource === 'column') vwap = series[fi('vwap')];
      else {
        vwap = new Float64Array(len);
        const vol = series[fi('volume')];
        if (vwapSource === 'amount/volume') {
          const amt = series[fi('amount')];
          for (let k = 0; k < len; k++) vwap[k] = vol[k] > 0 ? amt[k] / vol[k] : NaN; // no trade: no price (not amount / 0)
        } else {
          const h = series[fi('high')], l = series[fi('low')], c = series[fi('close')];
          for (let k = 0; k < len; k++) vwap[k] = (h[k] + l[k] + c[k]) / 3;
        }
      }
      const dir = join(tmp, 'features', symbol.toLowerCase());
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < fieldNames.length; f++) {
        if (fieldNames[f] === 'vwap') continue;
        writeFileSync(join(dir, `${fieldNames[f]}.day.bin`), encodeFeatureBin(first, series[f]));
      }
      writeFileSync(join(dir, 'vwap.day.bin'), encodeFeatureBin(first, vwap));
      instrumentLines.push(`${symbol}\t${calendar[first]}\t${calendar[last]}`);
    }
    writeFileSync(join(tmp, 'instruments', 'all.txt'), instrumentLines.join('\n') + '\n');

    // Swap into place: the old folder (if --force) is moved aside first, then removed.
    mkdirSync(dirname(out), { recursive: true });
    if (existsSync(out)) {
      const old = `${out}.old-${process.pid}`;
      renameSync(out, old);
      renameSync(tmp, out);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, out);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true }); // nothing half-written stays behind
    throw e;
  }
  const fields = Array.from(new Set([...fieldNames, 'vwap']));
  return { rows, symbols: symbols.length, days: calendar.length, firstDay: calendar[0], lastDay: calendar[calendar.length - 1], fields, vwapSource, blankCells };
}
