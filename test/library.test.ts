/**
 * alphasage as a library: the package entry (src/index.ts) built to dist/ and
 * imported by name from plain Node (no tsx), as a script of a user would,
 * gives the numbers the TypeScript sources give.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { alphaIC, alphaRankIC, evaluateExpr, evaluateTarget, loadStockData, operatorReference, OPERATORS, parseExpr, printExpr } from '../src/index.js';
import { ROOT } from './helpers/cli.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'sp500_dev40');
const EXPR = 'TsCorr($close,$volume,20)';

test('the library entry, built and imported by package name from plain Node, gives the sources\' IC and RankIC', { timeout: 300_000 }, async () => {
  const { bundledQlibDir } = await import('../src/data/index.js');
  const window = { qlibDir: await bundledQlibDir(() => {}), universeFile: join(FIXTURES, 'universe_dev40.txt'), start: '2015-01-02', end: '2015-06-30' };
  const data = loadStockData(window);
  const values = evaluateExpr(EXPR, data);
  const target = evaluateTarget(data);
  const here = { ic: alphaIC(values, target, data.nDays, data.nStocks), rankIc: alphaRankIC(values, target, data.nDays, data.nStocks) };
  assert.equal(printExpr(parseExpr(EXPR)), EXPR);
  assert.ok(operatorReference().includes('TsCorr(x, y, d)') && OPERATORS.length === 36);

  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
  const script = `
    import { alphaIC, alphaRankIC, evaluateExpr, evaluateTarget, loadStockData } from 'alphasage';
    const data = loadStockData(${JSON.stringify(window)});
    const values = evaluateExpr(${JSON.stringify(EXPR)}, data);
    const target = evaluateTarget(data);
    console.log(JSON.stringify({ ic: alphaIC(values, target, data.nDays, data.nStocks), rankIc: alphaRankIC(values, target, data.nDays, data.nStocks) }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), here);
  assert.ok(Math.abs(here.ic) > 0 && Number.isFinite(here.rankIc));
});
