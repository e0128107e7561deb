/**
 * Two versions of the expression engine on the 46 one-per-operator lines,
 * interleaved in one process (the machine's speed drifts between runs, so
 * separate runs compare poorly): this checkout against another one.
 *
 *   git worktree add /tmp/other <commit> && ln -s "$PWD/node_modules" /tmp/other/ && ln -s "$PWD/.cache" /tmp/other/
 *   npx tsx bench/compareEngines.ts /tmp/other [runs]
 *
 * Prints, per line, the median ms of each and the ratio, and how many lines
 * give the same bits in both.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundledQlibDir, loadStockData, PACKAGE_ROOT } from '../src/data/index.js';
import { evaluateExpr, parseExpr } from '../src/expr/index.js';

const [otherDir, runsArg] = process.argv.slice(2);
if (!otherDir) {
  console.error('usage: npx tsx bench/compareEngines.ts <other checkout> [runs]');
  process.exit(2);
}
const other = (await import(pathToFileURL(resolve(otherDir, 'src/expr/index.ts')).href)) as typeof import('../src/expr/index.js');
const runs = Number(runsArg ?? 7);
const lines = readFileSync(join(PACKAGE_ROOT, 'test', 'fixtures', 'sp500_dev40', 'exprs.txt'), 'utf8').split('\n').filter((l) => l.trim() !== '').slice(0, 46);
const data = loadStockData({ qlibDir: await bundledQlibDir(), start: '2013-08-01', end: '2015-12-31' });
const mine = lines.map((l) => parseExpr(l));
const theirs = lines.map((l) => other.parseExpr(l));

let identical = 0;
lines.forEach((_, i) => {
  const a = evaluateExpr(mine[i], data);
  const b = other.evaluateExpr(theirs[i], data);
  if (a.every((x, k) => Object.is(x, b[k]))) identical++;
});

const tOther: number[][] = lines.map(() => []);
const tMine: number[][] = lines.map(() => []);
const totOther: number[] = [];
const totMine: number[] = [];
for (let r = 0; r < runs; r++) {
  let a = 0;
  let b = 0;
  lines.forEach((_, i) => {
    let t = performance.now();
    other.evaluateExpr(theirs[i], data);
    const dOther = performance.now() - t;
    t = performance.now();
    evaluateExpr(mine[i], data);
    const dMine = performance.now() - t;
    tOther[i].push(dOther);
    tMine[i].push(dMine);
    a += dOther;
    b += dMine;
  });
  totOther.push(a);
  totMine.push(b);
}
const median = (x: number[]): number => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];
console.log(`${identical} of ${lines.length} lines give the same bits in both engines`);
console.log(`| # | expression | ${otherDir} ms | this checkout ms | speed-up |`);
console.log('|---|---|---|---|---|');
lines.forEach((l, i) => console.log(`| ${i} | ${l} | ${median(tOther[i]).toFixed(2)} | ${median(tMine[i]).toFixed(2)} | ${(median(tOther[i]) / median(tMine[i])).toFixed(2)}x |`));
console.log(`| | total (median of ${runs}) | ${median(totOther).toFixed(1)} | ${median(totMine).toFixed(1)} | ${(median(totOther) / median(totMine)).toFixed(2)}x |`);
