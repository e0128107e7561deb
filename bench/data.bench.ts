/** Data layer speed: import of the bundled CSV, and loading the whole set. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_CSV, importCsv, loadStockData, readCalendar } from '../src/data/index.js';
import { median } from './timing.js';

export default async function (): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'alphasage-bench-'));
  const imports: number[] = [];
  for (let i = 0; i < 3; i++) {
    const out = join(root, `q${i}`);
    const t = performance.now();
    await importCsv({ csv: BUNDLED_CSV, out });
    imports.push(performance.now() - t);
  }
  const dir = join(root, 'q0');
  const cal = readCalendar(dir);
  const loads: number[] = [];
  let shape = '';
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const d = loadStockData({ qlibDir: dir, start: cal[0], end: cal[cal.length - 1], backtrack: 0, future: 0 });
    loads.push(performance.now() - t);
    shape = `${d.paddedDays} days x 6 fields x ${d.nStocks} stocks`;
  }
  console.log('| step | median ms | runs |');
  console.log('|---|---|---|');
  console.log(`| import bundled CSV (619,040 rows) | ${median(imports).toFixed(0)} | ${imports.map((x) => x.toFixed(0)).join(', ')} |`);
  console.log(`| load ${shape} | ${median(loads).toFixed(0)} | ${loads.map((x) => x.toFixed(0)).join(', ')} |`);
  rmSync(root, { recursive: true, force: true });
}
