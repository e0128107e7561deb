/** `alphasage eval` as a user runs it: table, --out layout, --json, and user errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPERATORS, operatorSignature } from '../src/expr/index.js';
import { isCleanUserError, ROOT, runCli } from './helpers/cli.js';
import { README, readmeWithOperatorTable } from '../scripts/docs.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'sp500_dev40');
const WINDOW = ['--universe-file', join(FIXTURES, 'universe_dev40.txt'), '--start', '2015-01-02', '--end', '2015-06-30'];

interface Summary {
  n_days: number;
  n_stocks: number;
  first_day: string;
  last_day: string;
  symbols: string[];
  exprs: { expr: string; printed?: string; file?: string; ic?: number | null; rank_ic?: number | null; eval_ms?: number; error?: string }[];
}

test('eval --out writes the reference layout; values and ICs agree with the reference', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alphasage-eval-'));
  try {
    const exprFile = join(dir, 'exprs.txt');
    // lines 0, 17 and 38 of the reference list, a parse error, an out-of-range line (a comment and a blank line skipped)
    writeFileSync(exprFile, '# reference lines\n$open\nTsMean($close,20)\n\nTsCorr($close,$volume,20)\nTsMean($close 20)\nRef($close,150)\n');
    const out = join(dir, 'out');
    const r = runCli(['eval', ...WINDOW, '--exprs', exprFile, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /TsCorr\(\$close,\$volume,20\)/);
    assert.match(r.stdout, /out_of_data_range/);
    assert.match(r.stdout, /parse_error/);
    const mine = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    const ref = JSON.parse(readFileSync(join(FIXTURES, 'summary.json'), 'utf8')) as Summary;
    assert.equal(mine.n_days, ref.n_days);
    assert.equal(mine.n_stocks, ref.n_stocks);
    assert.deepEqual(mine.symbols, ref.symbols);
    assert.equal(mine.first_day, '2015-01-02');
    assert.equal(mine.exprs.length, 5);
    assert.equal(mine.exprs[3].error?.startsWith('parse_error: '), true);
    assert.equal(mine.exprs[4].error, 'out_of_data_range');
    assert.equal(mine.exprs[4].file, undefined);
    [0, 17, 38].forEach((refLine, i) => {
      const m = mine.exprs[i];
      const want = ref.exprs[refLine];
      assert.equal(m.printed, want.printed);
      assert.equal(m.file, `values_${i}.f32`);
      assert.ok(Math.abs((m.ic as number) - (want.ic as number)) <= 1e-4);
      assert.ok(Math.abs((m.rank_ic as number) - (want.rank_ic as number)) <= 1e-4);
      assert.ok(typeof m.eval_ms === 'number' && m.eval_ms >= 0);
      const a = readFileSync(join(out, m.file as string));
      const b = readFileSync(join(FIXTURES, want.file as string));
      assert.equal(a.length, b.length);
      const av = new DataView(a.buffer, a.byteOffset, a.byteLength);
      const bv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let k = 0; k < a.length; k += 4) {
        const x = av.getFloat32(k, true);
        const y = bv.getFloat32(k, true);
        assert.ok((Number.isNaN(x) && Number.isNaN(y)) || Math.abs(x - y) <= Math.max(1e-6, 1e-4 * Math.abs(y)), `line ${refLine} float ${k / 4}: ${x} vs ${y}`);
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('eval --json prints the summary; a pool JSON file is accepted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alphasage-eval-'));
  try {
    const pool = join(dir, 'pool.json');
    writeFileSync(pool, JSON.stringify({ exprs: ['Mul(-1.0,TsCorr(Rank($high),Rank($volume),10))', 'TsMean( $close , 20 )'], weights: [0.1, 0.2] }));
    const r = runCli(['eval', ...WINDOW, '--exprs', pool, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Summary;
    assert.equal(s.exprs.length, 2);
    assert.equal(s.exprs[1].printed, 'TsMean($close,20)');
    assert.equal(s.exprs[1].file, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('eval: bad inputs are one-line user errors (exit 2)', () => {
  for (const args of [
    ['eval', '--split', 'train', '--expr', 'TsMean($close 20)'],
    ['eval', '--split', 'train'],
    ['eval', '--expr', '$close'],
    ['eval', '--split', 'nope', '--expr', '$close'],
    ['eval', '--split', 'train', '--expr', '$close', '--start', '2015-01-02', '--end', '2015-02-01'],
    ['eval', '--split', 'train', '--exprs', '/nonexistent/exprs.txt'],
  ]) {
    const r = runCli(args);
    assert.ok(isCleanUserError(r), `${args.join(' ')}: status ${r.status}, stderr ${r.stderr}`);
  }
});

test('eval --help lists every operator of the table with its doc; README holds the table generated from it (npm run docs)', () => {
  const help = runCli(['eval', '--help']);
  assert.equal(help.status, 0);
  for (const op of OPERATORS) assert.ok(help.stdout.includes(`${operatorSignature(op)} `) && help.stdout.includes(op.doc), `eval --help lacks ${op.name}`);
  const readme = readFileSync(README, 'utf8');
  assert.ok(readme === readmeWithOperatorTable(readme), 'README.md\'s operator table is not the one the operator table generates: run npm run docs');
  for (const op of OPERATORS) assert.ok(readme.includes(`| \`${operatorSignature(op)}\` |`), `README lacks ${op.name}`);
});

test('eval explains a NaN RankIC in one line, and only when the table shows one', () => {
  const withNaN = runCli(['eval', ...WINDOW, '--expr', 'Log(Sub(0.0,$close))', '--expr', '$close']);
  assert.equal(withNaN.status, 0, withNaN.stderr);
  assert.match(withNaN.stdout, /Log\(Sub\(0\.0,\$close\)\)\s+0\.0000\s+NaN/);
  assert.match(withNaN.stdout, /^NaN RankIC: on some day no stock has both a value of the alpha and of the target/m);
  const without = runCli(['eval', ...WINDOW, '--expr', '$close']);
  assert.doesNotMatch(without.stdout, /NaN RankIC/);
});

test('an --out nothing can be created in (/proc, /sys: writable to root by access(), yet not) is refused before any work', () => {
  for (const out of ['/proc/alphasage-out', '/sys/alphasage-out/deeper']) {
    const r = runCli(['eval', ...WINDOW, '--expr', '$close', '--out', out], { timeoutMs: 60_000 });
    assert.ok(isCleanUserError(r), `${out}: ${r.stderr}`);
    assert.match(r.stderr, /nothing can be created in \/(proc|sys)/);
  }
});

test('eval says why a line is out of the data range, and reads a JSON list of expressions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alphasage-evallist-'));
  try {
    const list = join(dir, 'list.json');
    writeFileSync(list, JSON.stringify(['TsMean($close,500)', '$close']));
    const r = runCli(['eval', ...WINDOW, '--exprs', list]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /0\s+TsMean\(\$close,500\)\s+out_of_data_range/);
    assert.match(r.stdout, /^out_of_data_range line 0: 'TsMean\(\$close,500\)' reads 499 days back and 0 ahead; the data holds 100 and 30: shorten/m);
    assert.match(r.stdout, /1\s+\$close\s+-?\d\.\d{4}/);
    // A pool the Python tools wrote (bare NaN words) is read as pool eval reads it.
    const py = join(dir, 'py.json');
    writeFileSync(py, '{"exprs": ["$close"], "weights": [NaN], "ics": [NaN]}');
    const fromPython = runCli(['eval', ...WINDOW, '--exprs', py]);
    assert.equal(fromPython.status, 0, fromPython.stderr);
    assert.match(fromPython.stdout, /0\s+\$close\s+-?\d\.\d{4}/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
