/**
 * What a mining run mines on: a Qlib folder (default: the bundled set), a
 * universe (name or instruments file), the train window and the test window
 * it reports on. Stored in the run's config so --resume reloads the same data.
 */
import { resolve } from 'node:path';
import { bundledQlibDir, loadStockData, requireCrossSection, SPLITS, type DateWindow, type StockData } from '../data/index.js';
import { UserError } from '../util/errors.js';
import type { MinerData } from './miner.js';

export interface DataSpec {
  /** Qlib folder; null = the bundled S&P 500 set. */
  qlibDir: string | null;
  /** Universe name (instruments/<name>.txt). */
  instrument: string;
  /** An instruments file instead of the universe name (absolute path). */
  universeFile: string | null;
  train: DateWindow;
  test: DateWindow | null;
}


export async function loadMinerData(spec: DataSpec): Promise<MinerData> {
  const qlibDir = spec.qlibDir ?? (await bundledQlibDir());
  const load = (w: DateWindow): StockData =>
    loadStockData({ qlibDir, universe: spec.universeFile ? undefined : spec.instrument, universeFile: spec.universeFile ?? undefined, start: w.start, end: w.end });
  const train = load(spec.train);
  requireCrossSection(train, 'mine');
  const test = spec.test ? load(spec.test) : undefined;
  return {
    train,
    test,
    window: {
      start: train.dates[train.backtrack],
      end: train.dates[train.backtrack + train.nDays - 1],
      universe: spec.universeFile ? resolve(spec.universeFile) : spec.instrument,
      // So pool eval and combine read the data the pool was mined on by default.
      ...(spec.qlibDir !== null ? { qlib_dir: resolve(spec.qlibDir) } : {}),
    },
  };
}
