/** Pool files: JSON round trip, Python-written pools, and malformed files through the CLI (exit 2, one line). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePoolJson, readPoolFile, writePoolFile, type PoolFile } from '../src/pool/index.js';
import { UserError } from '../src/util/errors.js';
import { isCleanUserError, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'alphasage-poolfile-'));

test('pool JSON round trip: every field, embeddings from Float32, NaN ICs as null', () => {
  const embedding = Float32Array.from([0.1, -2.5, 1 / 3]);
  const pool: PoolFile = {
    exprs: ['TsCorr($close,$volume,20)', 'Div(Sub($close,$open),Add($high,0.01))', 'Mul(TsPctChange($close,10),-1.0)'],
    weights: [0.123456789012345, -0.2, 1e-9],
    ics: [0.031, NaN, -0.0123],
    mutual_ics: [
      [1, 0.1, -0.2],
      [0.1, 1, 0.05],
      [-0.2, 0.05, 1],
    ],
    embeddings: [Array.from(embedding), [0, 0, 0], [1, 2, 3]],
    window: { start: '2013-08-01', end: '2015-12-31', universe: 'all' },
    seed: 42,
  };
  const file = join(dir, 'roundtrip.json');
  writePoolFile(file, pool);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /"ics": \[0\.031, null, -0\.0123\]/);
  const back = readPoolFile(file);
  assert.deepEqual(back, pool);
  assert.deepEqual(Float32Array.from(back.embeddings![0]), embedding);
  // Written atomically: no temp file left beside it.
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('roundtrip')), ['roundtrip.json']);
  // Python reads it as plain JSON with exprs and weights first.
  const plain = JSON.parse(text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(plain).slice(0, 2), ['exprs', 'weights']);
});

test('a pool written by the Python tools loads unchanged (indent 4, NaN words, no extra fields)', () => {
  const python = `{
    "exprs": [
        "Mul(TsCorr($close,$volume,20),-0.5)",
        "TsMean(Div(Sub($close,$open),$open),10)",
        "Greater(TsStd($vwap,30),Abs($low))"
    ],
    "weights": [
        0.012345,
        -0.5,
        3.0
    ],
    "ics": [NaN, Infinity, -Infinity]
}`;
  const pool = parsePoolJson(python, 'python.json');
  assert.deepEqual(pool.exprs, ['Mul(TsCorr($close,$volume,20),-0.5)', 'TsMean(Div(Sub($close,$open),$open),10)', 'Greater(TsStd($vwap,30),Abs($low))']);
  assert.deepEqual(pool.weights, [0.012345, -0.5, 3]);
  assert.deepEqual(pool.ics, [NaN, NaN, NaN]);
  assert.deepEqual(parsePoolJson('{"exprs": [], "weights": []}'), { exprs: [], weights: [] });
});

test('validation errors are UserErrors naming the problem and the fix', () => {
  const bad = (text: string, re: RegExp) =>
    assert.throws(() => parsePoolJson(text, 'p.json'), (e: unknown) => e instanceof UserError && re.test(e.message));
  bad('{"exprs": ["$close"], "weights": [1]', /not valid JSON/);
  bad('[1, 2]', /must be a JSON object/);
  bad('{"weights": [1]}', /missing "exprs"/);
  bad('{"exprs": "abc", "weights": [1]}', /"exprs" must be a list of expression strings/);
  bad('{"exprs": ["$close"], "weights": [1], "ics": ["a"]}', /"ics"\[0\] is "a", not a finite number; fix it\.$/);
  bad('{"exprs": ["$close"], "weights": [1], "window": {"start": "2020-01-02", "end": "2020-06-30", "qlib_dir": 3}}', /"window.qlib_dir" must be a folder path/);
  bad('{"exprs": ["$close"]}', /missing "weights"/);
  bad('{"exprs": ["$close", "$open"], "weights": [1]}', /2 expressions but 1 weights; give exactly one weight per expression/);
  bad('{"exprs": ["Foo($close)"], "weights": [1]}', /expression 1: .*unknown operator 'Foo'/);
  bad('{"exprs": ["$close"], "weights": [NaN]}', /"weights"\[0\] is NaN or null/);
  bad('{"exprs": ["$close"], "weights": ["1"]}', /"weights"\[0\] is "1"/);
  bad('{"exprs": ["$close"], "weights": [1e309]}', /"weights"\[0\] is Infinity, not a finite number/);
  bad('{"exprs": ["$close"], "weights": [1e308]}', /beyond 1e\+100: the combination would overflow/);
  bad('{"exprs": ["$close"], "weights": [1], "ics": [1, 2]}', /"ics" has 2 entries for 1 expressions/);
  bad('{"exprs": ["$close", "$open"], "weights": [1, 2], "mutual_ics": [[1, 0]]}', /2 x 2 matrix/);
  bad('{"exprs": ["$close", "$open"], "weights": [1, 2], "embeddings": [[1, 0], [1]]}', /different lengths/);
  assert.throws(() => readPoolFile(join(dir, 'missing.json')), (e: unknown) => e instanceof UserError && /does not exist/.test(e.message));
});

test('malformed pool files through the CLI: exit 2 and one error line', () => {
  const cases: [string, string, RegExp][] = [
    ['bad-json.json', '{"exprs": ["$close"], "weights": [1,]}', /not valid JSON/],
    ['unknown-op.json', '{"exprs": ["TsMean($close,20)", "Frobnicate($close)"], "weights": [1, 2]}', /unknown operator 'Frobnicate'/],
    ['count.json', '{"exprs": ["TsMean($close,20)", "$open"], "weights": [1]}', /2 expressions but 1 weights/],
  ];
  for (const [name, text, re] of cases) {
    const file = join(dir, name);
    writeFileSync(file, text);
    for (const args of [['pool', 'show', file], ['pool', 'eval', file, '--split', 'test']]) {
      const r = runCli(args);
      assert.ok(isCleanUserError(r), `${args.join(' ')}: status ${r.status}, stderr ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stdout, '');
    }
  }
  const missing = runCli(['pool', 'show', join(dir, 'nope.json')]);
  assert.ok(isCleanUserError(missing), missing.stderr);
  const both = runCli(['pool', 'eval', join(dir, 'count.json'), '--split', 'test', '--start', '2017-01-03', '--end', '2017-02-01']);
  assert.equal(both.status, 2);
});

test('pool show prints members, weights, ICs and the mutual-IC summary', () => {
  const file = join(dir, 'show.json');
  writePoolFile(file, {
    exprs: ['TsMean($close,20)', 'Rank($volume)', '$open'],
    weights: [0.5, -0.25, 0.125],
    ics: [0.02, -0.01, 0.005],
    mutual_ics: [
      [1, 0.2, -0.4],
      [0.2, 1, 0.1],
      [-0.4, 0.1, 1],
    ],
    seed: 7,
  });
  const r = runCli(['pool', 'show', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /3 members, seed 7/);
  assert.match(r.stdout, /1\s+0\.500000\s+0\.0200\s+TsMean\(\$close,20\)/);
  assert.match(r.stdout, /2\s+-0\.250000\s+-0\.0100\s+Rank\(\$volume\)/);
  assert.match(r.stdout, /mutual IC: max \|IC\| 0\.4000 \(members 1 and 3\), mean \|IC\| 0\.2333 over 3 pairs/);
});

test('pool eval reads the data the pool was mined on (pool.json window: Qlib folder, universe file) unless flags say otherwise', async () => {
  // A small Qlib folder: 4 symbols, 400 business days of random-walk prices.
  const rows = ['date,symbol,open,high,low,close,volume'];
  const day = new Date(Date.UTC(2020, 0, 1));
  let n = 0;
  const price = [10, 20, 30, 40];
  while (n < 400) {
    day.setUTCDate(day.getUTCDate() + 1);
    if (day.getUTCDay() === 0 || day.getUTCDay() === 6) continue;
    const d = day.toISOString().slice(0, 10);
    price.forEach((p, s) => {
      price[s] = p * (1 + 0.01 * Math.sin(n * (s + 1) * 0.7));
      rows.push(`${d},S${s},${price[s]},${price[s] * 1.01},${price[s] * 0.99},${price[s]},${1000 + ((n * (s + 3)) % 97)}`);
    });
    n++;
  }
  const csv = join(dir, 'small.csv');
  writeFileSync(csv, rows.join('\n') + '\n');
  const qlib = join(dir, 'small_qlib');
  const { importCsv } = await import('../src/data/index.js');
  await importCsv({ csv, out: qlib });
  const universeFile = join(dir, 'u2.txt');
  writeFileSync(universeFile, 'S0\t2020-01-02\t2021-07-30\nS1\t2020-01-02\t2021-07-30\n');
  const window = ['--start', '2020-07-01', '--end', '2020-12-31'];
  const file = join(dir, 'mined_elsewhere.json');
  writePoolFile(file, { exprs: ['TsMean($close,20)', '$volume'], weights: [1, 0.5], window: { start: '2020-07-01', end: '2020-12-31', universe: 'all', qlib_dir: qlib } });
  assert.equal(readPoolFile(file).window?.qlib_dir, qlib);

  const own = runCli(['pool', 'eval', file, ...window]);
  assert.equal(own.status, 0, own.stderr);
  assert.match(own.stdout, new RegExp(`data: ${qlib.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, universe all: where the pool was mined`));
  assert.match(own.stdout, /x 4 stocks, universe all/);

  writePoolFile(file, { exprs: ['TsMean($close,20)', '$volume'], weights: [1, 0.5], window: { start: '2020-07-01', end: '2020-12-31', universe: universeFile, qlib_dir: qlib } });
  const ownUniverse = runCli(['pool', 'eval', file, ...window, '--json']);
  assert.equal(ownUniverse.status, 0, ownUniverse.stderr);
  assert.ok(JSON.parse(ownUniverse.stdout).members.length === 2, 'with --json, stdout is the JSON alone');
  assert.match(ownUniverse.stderr, /universe .*u2\.txt: where the pool was mined/);
  const asked = runCli(['pool', 'eval', file, ...window, '--universe', 'all']);
  assert.match(asked.stdout, /note: the pool was mined on .*small_qlib, universe .*u2\.txt; scoring it on .*small_qlib, universe all, as asked/);
  assert.match(asked.stdout, /x 4 stocks/);

  writePoolFile(file, { exprs: ['$close'], weights: [1], window: { start: '2020-07-01', end: '2020-12-31', universe: 'all', qlib_dir: join(dir, 'gone') } });
  const gone = runCli(['pool', 'eval', file, ...window]);
  assert.ok(isCleanUserError(gone), gone.stderr);
  assert.match(gone.stderr, /the pool was mined on .*gone, which does not exist here; pass --qlib-dir/);
});
