/**
 * The bundled S&P 500 set (data/sp500_2013_2018.csv.gz). Commands given no
 * --qlib-dir use it, importing it once into a cache folder.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SingleBar, Presets } from 'cli-progress';
import { importCsv } from './importCsv.js';

/**
 * The package's folder: the nearest one above this module whose package.json
 * names alphasage (src/data/ when run through tsx, dist/src/data/ when built).
 */
function findPackageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'alphasage') return dir;
    if (dirname(dir) === dir) return resolve(here, '..', '..');
  }
}

export const PACKAGE_ROOT = findPackageRoot();
export const BUNDLED_CSV = join(PACKAGE_ROOT, 'data', 'sp500_2013_2018.csv.gz');
export const BUNDLED_INDEX_CSV = join(PACKAGE_ROOT, 'data', 'sp500_index_2013_2018.csv');

/** Cache folder of the imported bundled data (ALPHASAGE_CACHE overrides the parent folder). */
export function bundledCacheDir(): string {
  const base = process.env.ALPHASAGE_CACHE ?? join(PACKAGE_ROOT, '.cache');
  return join(base, 'sp500_2013_2018');
}

const MARKER = '.import-complete';

/** Returns the Qlib folder of the bundled data, importing it first if needed. */
export async function bundledQlibDir(log: (msg: string) => void = (m) => process.stderr.write(m + '\n')): Promise<string> {
  const dir = bundledCacheDir();
  if (existsSync(join(dir, MARKER))) return dir;
  log(`Importing the bundled S&P 500 data into ${dir} (once)...`);
  const bar = new SingleBar({ format: '  import [{bar}] {percentage}% | {value}/{total} MB | ETA {eta}s', stream: process.stderr }, Presets.shades_classic);
  let started = false;
  // Each process imports into its own folder, then renames: concurrent first runs (tests) stay safe.
  const mine = `${dir}.${process.pid}`;
  rmSync(mine, { recursive: true, force: true });
  const summary = await importCsv({
    csv: BUNDLED_CSV,
    out: mine,
    onProgress: (done, total) => {
      if (!started) {
        bar.start(Math.round(total / 1e5) / 10, 0);
        started = true;
      }
      bar.update(Math.round(done / 1e5) / 10);
    },
    notice: (m) => log(`  note: ${m}`),
  });
  if (started) bar.stop();
  writeFileSync(join(mine, MARKER), JSON.stringify(summary) + '\n');
  if (existsSync(join(dir, MARKER))) {
    rmSync(mine, { recursive: true, force: true });
  } else {
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(mine, dir);
    } catch {
      rmSync(mine, { recursive: true, force: true }); // another process won the race
    }
  }
  log(`  ${summary.rows} rows, ${summary.symbols} symbols, ${summary.days} days (${summary.firstDay}..${summary.lastDay}) -> ${dir}`);
  return dir;
}

/** --qlib-dir when given, else the bundled data. */
export async function resolveQlibDir(qlibDir: string | undefined): Promise<string> {
  return qlibDir ?? (await bundledQlibDir());
}
