/**
 * Two versions of the expression engine on the 46 one-per-operator lines,
 * interleaved in one process (the machine's speed drifts between runs, so
 * separate runs compare poorly): this checkout against another one.
 *
 *   git worktree add /tmp/other <commit> && ln -s "$PWD/node_modules" /tmp/other/ && ln -s "$PWD/.cache" /tmp/other/
 *   npx tsx bench/compareEngines.ts /tmp/other [runs] [--mined]
 *
 * Prints, per line, the median ms of each and the ratio, and how many lines
 * give the same bits in both. --mined takes the list's other 60 lines instead:
 * random valid expressions built as the GFlowNet builds them (constants,
 * nested Pow and windows), closer to what `mine` evaluates.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundledQlibDir, loadStockData, PACKAGE_ROOT } from '../src/data/index.js';
import { evaluateExpr, parseExpr } from '../src/expr/index.js';
import { median, timeInterleaved } from './timing.js';

const args = process.argv.slice(2);
const mined = args.includes('--mined');
const [otherDir, runsArg] = args.filter((a) => a !== '--mined');
if (!otherDir) {
  console.error('usage: npx tsx bench/compareEngines.ts <other checkout> [runs] [--mined]');
  process.exit(2);
}
const other = (await import(pathToFileURL(resolve(otherDir, 'src/expr/index.ts')).href)) as typeof import('../src/expr/index.js');
const runs = Number(runsArg ?? 7);
const allLines = readFileSync(join(PACKAGE_ROOT, 'test', 'fixtures', 'sp500_dev40', 'exprs.txt'), 'utf8').split('\n').filter((l) => l.trim() !== '');
const lines = mined ? allLines.slice(46) : allLines.slice(0, 46);
const data = loadStockData({ qlibDir: await bundledQlibDir(), start: '2013-08-01', end: '2015-12-31' });
const mine = lines.map((l) => parseExpr(l));
const theirs = lines.map((l) => other.parseExpr(l));

let identical = 0;
lines.forEach((_, i) => {
  const a = evaluateExpr(mine[i], data);
  const b = other.evaluateExpr(theirs[i], data);
  if (a.every((x, k) => Object.is(x, b[k]))) identical++;
});

const t = timeInterleaved(
  lines.length,
  runs,
  (i) => other.evaluateExpr(theirs[i], data),
  (i) => evaluateExpr(mine[i], data),
);
console.log(`${identical} of ${lines.length} lines give the same bits in both engines`);
console.log(`| # | expression | ${otherDir} ms | this checkout ms | speed-up |`);
console.log('|---|---|---|---|---|');
lines.forEach((l, i) => console.log(`| ${i} | ${l} | ${median(t.a[i]).toFixed(2)} | ${median(t.b[i]).toFixed(2)} | ${(median(t.a[i]) / median(t.b[i])).toFixed(2)}x |`));
console.log(`| | total (median of ${runs}) | ${median(t.totalA).toFixed(1)} | ${median(t.totalB).toFixed(1)} | ${(median(t.totalA) / median(t.totalB)).toFixed(2)}x |`);
