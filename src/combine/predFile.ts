/**
 * The saved daily prediction, read by the backtest:
 *   pred.f64   float64 little-endian, row-major [n_days][n_stocks], no header;
 *              NaN = no prediction (the stock does not trade that day)
 *   pred.json  { format: "alphasage-pred-v1", dtype: "float64", byte_order: "little",
 *                shape: [n_days, n_stocks], dates: [...n_days], symbols: [...n_stocks],
 *                segments: { valid: [first, end), test: [first, end) } (row ranges),
 *                label_days, mode, data: { qlib_dir (null = bundled), universe, universe_file } }
 * Both are written atomically; pred.f64 first, so a pred.json always has its matrix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';

export const PRED_FORMAT = 'alphasage-pred-v1';

export interface DataSource {
  /** Qlib folder, or null for the bundled data. */
  qlib_dir: string | null;
  universe: string;
  universe_file: string | null;
}

export interface PredMeta {
  format: typeof PRED_FORMAT;
  dtype: 'float64';
  byte_order: 'little';
  shape: [number, number];
  dates: string[];
  symbols: string[];
  segments: Record<string, [number, number]>;
  label_days: number;
  mode: 'adaptive' | 'static';
  data: DataSource;
}

export interface SavedPrediction {
  meta: PredMeta;
  values: Float64Array;
}

export function writePrediction(dir: string, meta: PredMeta, values: Float64Array): void {
  const [nDays, nStocks] = meta.shape;
  if (values.length !== nDays * nStocks) throw new Error(`writePrediction: ${values.length} values for shape ${nDays}x${nStocks}`);
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
  writeFileAtomic(join(dir, 'pred.f64'), bytes);
  writeJsonAtomic(join(dir, 'pred.json'), meta);
}

export function readPrediction(dir: string): SavedPrediction {
  const metaPath = join(dir, 'pred.json');
  const binPath = join(dir, 'pred.f64');
  if (!existsSync(metaPath) || !existsSync(binPath)) {
    throw new UserError(`'${dir}' holds no prediction (pred.json + pred.f64); pass --pred the output folder of 'alphasage combine'.`);
  }
  let meta: PredMeta;
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8')) as PredMeta;
  } catch (e) {
    throw new UserError(`${metaPath} is not valid JSON (${(e as Error).message}); re-run 'alphasage combine' to rewrite it.`);
  }
  if (meta.format !== PRED_FORMAT || !Array.isArray(meta.shape) || !Array.isArray(meta.dates) || !Array.isArray(meta.symbols)) {
    throw new UserError(`${metaPath} is not an ${PRED_FORMAT} prediction header; re-run 'alphasage combine' to rewrite it.`);
  }
  const [nDays, nStocks] = meta.shape;
  if (!Number.isInteger(nDays) || !Number.isInteger(nStocks) || nDays < 1 || nStocks < 1) {
    throw new UserError(`${metaPath}: shape ${JSON.stringify(meta.shape)} is not two positive integers; re-run 'alphasage combine'.`);
  }
  if (meta.dates.length !== nDays || meta.symbols.length !== nStocks) {
    throw new UserError(`${metaPath}: shape ${nDays}x${nStocks} disagrees with its ${meta.dates.length} dates and ${meta.symbols.length} symbols; re-run 'alphasage combine'.`);
  }
  const segments = meta.segments as Record<string, unknown> | undefined;
  for (const name of ['valid', 'test']) {
    const seg = segments?.[name];
    const ok = Array.isArray(seg) && seg.length === 2 && Number.isInteger(seg[0]) && Number.isInteger(seg[1]) && 0 <= seg[0] && seg[0] < seg[1] && seg[1] <= nDays;
    if (!ok) throw new UserError(`${metaPath}: segments.${name} is ${JSON.stringify(seg)}, not [first, end) rows within its ${nDays} days; re-run 'alphasage combine'.`);
  }
  const buf = readFileSync(binPath);
  if (buf.length !== nDays * nStocks * 8) {
    throw new UserError(`${binPath} has ${buf.length} bytes, expected ${nDays * nStocks * 8} for ${nDays}x${nStocks} float64; re-run 'alphasage combine'.`);
  }
  const values = new Float64Array(nDays * nStocks);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat64(i * 8, true);
  return { meta, values };
}
