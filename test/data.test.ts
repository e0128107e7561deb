import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BUNDLED_CSV, FEATURES, encodeFeatureBin, featureAt, importCsv, loadStockData, readCalendar, readFeatureBin, readUniverse } from '../src/data/index.js';
import { UserError } from '../src/util/errors.js';
import { isCleanUserError, runCli } from './helpers/cli.js';

const F = (name: (typeof FEATURES)[number]) => FEATURES.indexOf(name);

test('bundled CSV -> import -> load: cells match the CSV rows', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'alphasage-import-')), 'qlib');
  const notices: string[] = [];
  const s = await importCsv({ csv: BUNDLED_CSV, out, notice: (m) => notices.push(m) });
  assert.equal(s.rows, 619040);
  assert.equal(s.symbols, 505);
  assert.equal(s.days, 1259);
  assert.equal(s.vwapSource, '(high+low+close)/3');
  assert.equal(notices.length, 1);
  assert.ok(existsSync(join(out, 'features', 'aal', 'close.day.bin')), 'lower-case feature folders');
  assert.match(readFileSync(join(out, 'instruments', 'all.txt'), 'utf8'), /^AAL\t2013-02-08\t2018-02-07$/m);
  assert.equal(readCalendar(out).length, 1259);
  assert.equal(readUniverse(out, 'all').get('ALLE')?.[0].start, '2013-11-18');

  // Rows straight from the CSV text, to compare against.
  const text = gunzipSync(readFileSync(BUNDLED_CSV)).toString('utf8');
  const row = (date: string, sym: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${date},${sym},`));
    assert.ok(line, `row ${date} ${sym}`);
    const [, , open, high, low, close, volume] = line!.trim().split(',');
    return { open, high, low, close, volume };
  };
  const data = loadStockData({ qlibDir: out, start: '2013-08-01', end: '2015-12-31' });
  assert.equal(data.nDays, 610);
  assert.equal(data.nStocks, 496);
  assert.equal(data.paddedDays, 740);
  const day = (d: string) => data.dates.indexOf(d);
  const stock = (s: string) => data.symbols.indexOf(s);
  const f32 = (v: string) => Math.fround(Number(v));

  const aal = row('2014-06-02', 'AAL');
  assert.equal(featureAt(data, day('2014-06-02'), F('close'), stock('AAL')), f32(aal.close));
  assert.equal(featureAt(data, day('2014-06-02'), F('volume'), stock('AAL')), f32(aal.volume));
  const vwap = featureAt(data, day('2014-06-02'), F('vwap'), stock('AAL'));
  assert.ok(Math.abs(vwap - (Number(aal.high) + Number(aal.low) + Number(aal.close)) / 3) < 1e-4);

  // A row with blanks: 2015-07-17,DHR,,88.76,88.24,88.72,2056819
  const dhr = row('2015-07-17', 'DHR');
  assert.equal(dhr.open, '');
  assert.ok(Number.isNaN(featureAt(data, day('2015-07-17'), F('open'), stock('DHR'))));
  assert.equal(featureAt(data, day('2015-07-17'), F('high'), stock('DHR')), f32(dhr.high));

  // A stock listed late (ALLE from 2013-11-18): NaN before, values after.
  assert.ok(Number.isNaN(featureAt(data, day('2013-11-15'), F('close'), stock('ALLE'))));
  assert.equal(featureAt(data, day('2013-11-18'), F('close'), stock('ALLE')), f32(row('2013-11-18', 'ALLE').close));
});

/** A hand-made Qlib folder: 10 days, symbol AAA in two spans, BBB with upper-case folder and no vwap, CCC without a folder. */
function makeFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'alphasage-fixture-'));
  const days = Array.from({ length: 10 }, (_, i) => `2020-01-${String(i + 1).padStart(2, '0')}`);
  mkdirSync(join(dir, 'calendars'), { recursive: true });
  writeFileSync(join(dir, 'calendars', 'day.txt'), days.join('\n') + '\n');
  mkdirSync(join(dir, 'instruments'), { recursive: true });
  writeFileSync(
    join(dir, 'instruments', 'two_span.txt'),
    ['AAA\t2020-01-02\t2020-01-03', 'AAA\t2020-01-07\t2020-01-08', 'BBB\t2020-01-01\t2020-01-10', 'CCC\t2020-01-01\t2020-01-10'].join('\n') + '\n',
  );
  for (const [folder, fields] of [['aaa', FEATURES], ['BBB', FEATURES.filter((f) => f !== 'vwap')]] as const) {
    mkdirSync(join(dir, 'features', folder), { recursive: true });
    for (const f of fields) {
      // starts at calendar day 1; values = 100*field index + day
      const vals = Array.from({ length: 9 }, (_, i) => 100 * FEATURES.indexOf(f) + i + 1);
      writeFileSync(join(dir, 'features', folder, `${f}.day.bin`), encodeFeatureBin(1, vals));
    }
  }
  return dir;
}

test('two-span universe: values outside the spans are NaN; upper-case folders and missing fields are read', () => {
  const dir = makeFixture();
  const warnings: string[] = [];
  const data = loadStockData({ qlibDir: dir, universe: 'two_span', start: '2020-01-03', end: '2020-01-08', backtrack: 2, future: 2, warn: (m) => warnings.push(m) });
  assert.deepEqual(data.symbols, ['AAA', 'BBB', 'CCC']);
  assert.equal(data.nDays, 6);
  assert.deepEqual(data.dates, ['2020-01-01', '2020-01-02', '2020-01-03', '2020-01-04', '2020-01-05', '2020-01-06', '2020-01-07', '2020-01-08', '2020-01-09', '2020-01-10']);
  const close = (row: number, s: number) => featureAt(data, row, F('close'), s);
  const aaa = data.dates.map((_, r) => close(r, 0));
  // AAA: in spans on 01-02, 01-03, 01-07, 01-08 (rows 1, 2, 6, 7); bin value on calendar day c is 100+c
  assert.deepEqual(aaa.map((v) => (Number.isNaN(v) ? null : v)), [null, 101, 102, null, null, null, 106, 107, null, null]);
  // BBB: upper-case folder, bin starts at day 1 -> day 0 is NaN; vwap missing -> NaN with a warning
  assert.ok(Number.isNaN(close(0, 1)));
  assert.equal(close(9, 1), 109);
  assert.ok(Number.isNaN(featureAt(data, 5, F('vwap'), 1)));
  // CCC: listed without a folder -> all NaN
  assert.ok(data.dates.every((_, r) => Number.isNaN(close(r, 2))));
  assert.ok(warnings.some((w) => w.includes('vwap')));
  assert.ok(warnings.some((w) => w.includes('CCC')));
});

test('padding the calendar cannot supply is an error naming the possible dates', () => {
  const dir = makeFixture();
  assert.throws(
    () => loadStockData({ qlibDir: dir, universe: 'two_span', start: '2020-01-02', end: '2020-01-08', backtrack: 3, future: 2 }),
    (e: unknown) => e instanceof UserError && /2020-01-04\.\.2020-01-08/.test(e.message),
  );
});

test('CLI: bad inputs give one clear error line and exit code 2', () => {
  const dir = makeFixture();
  const cases: [string[], RegExp][] = [
    [['data', 'import', '--csv', '/no/such.csv', '--out', join(dir, 'x')], /does not exist/],
    [['data', 'import', '--csv', BUNDLED_CSV, '--out', dir], /not empty/],
    [['data', 'info', '--qlib-dir', '/no/such/dir'], /does not exist/],
    [['data', 'info', '--bogus'], /unknown option/],
    [['data', 'import', '--out', dir], /required option/],
  ];
  const badCsv = join(dir, 'bad.csv');
  writeFileSync(badCsv, 'date,symbol,open,close\n2020-01-01,A,1,2\n');
  cases.push([['data', 'import', '--csv', badCsv, '--out', join(dir, 'y')], /lacks the column 'high'/]);
  const badNum = join(dir, 'badnum.csv');
  writeFileSync(badNum, 'date,symbol,open,high,low,close,volume\n2020-01-01,A,1,2,x,1,1\n');
  cases.push([['data', 'import', '--csv', badNum, '--out', join(dir, 'z')], /line 2: low 'x' is not a number/]);
  const head = 'date,symbol,open,high,low,close,volume\n';
  const write = (name: string, data: string | Buffer) => (writeFileSync(join(dir, name), data), join(dir, name));
  // A symbol is a folder name: one that climbs out of the output must not be written anywhere.
  cases.push([['data', 'import', '--csv', write('evil.csv', head + '2020-01-02,../../evil,1,2,0.5,1.5,100\n'), '--out', join(dir, 'e')], /symbol '\.\.\/\.\.\/evil' cannot name a folder/]);
  cases.push([['data', 'import', '--csv', write('feb30.csv', head + '2020-02-30,A,1,2,0.5,1.5,100\n'), '--out', join(dir, 'f')], /date '2020-02-30' is not a calendar day/]);
  cases.push([['data', 'import', '--csv', write('fake.csv.gz', 'not gzip at all'), '--out', join(dir, 'g')], /not a valid gzip file/]);
  cases.push([['data', 'import', '--csv', write('cut.csv.gz', gzipSync(Buffer.from(head + '2020-01-02,A,1,2,0.5,1.5,100\n'.repeat(50))).subarray(0, 40)), '--out', join(dir, 'i')], /the gzip file ends early/]);
  // Fails while writing the folder: the temporary folder goes too.
  cases.push([['data', 'import', '--csv', write('dup.csv', head + '2020-01-02,A,1,2,0.5,1.5,100\n2020-01-02,A,1,2,0.5,1.5,100\n'), '--out', join(dir, 'h')], /two rows for 2020-01-02/]);
  cases.push([['eval', '--split', 'valid', '--expr', '$close', '--universe-file', write('unknown.txt', 'ZZZZ\t2013-01-01\t2020-01-01\n')], /none of the universe's 1 symbols \(first: ZZZZ\) has a folder under/]);
  cases.push([['eval', '--start', '2016-02-30', '--end', '2016-12-31', '--expr', '$close'], /--start must be a calendar day YYYY-MM-DD, got '2016-02-30'/]);
  for (const [args, msg] of cases) {
    const r = runCli(args);
    assert.ok(isCleanUserError(r), `${args.join(' ')}: status ${r.status}, stderr: ${r.stderr}`);
    assert.match(r.stderr, msg);
  }
  const left = readdirSync(dir).filter((f) => /^([yzefghi]|evil)($|\.(importing|old)-)/.test(f));
  assert.deepEqual(left, [], 'nothing half-written, nothing outside --out (../../evil from e.importing-<pid>/features/ is dir/evil)');
});

test('CLI: data info and data check on a fixture', () => {
  const dir = makeFixture();
  const info = runCli(['data', 'info', '--qlib-dir', dir, '--json']);
  assert.equal(info.status, 0, info.stderr);
  const j = JSON.parse(info.stdout) as { calendar: { days: number }; universes: { name: string; size: number }[] };
  assert.equal(j.calendar.days, 10);
  assert.deepEqual(j.universes, [{ name: 'two_span', size: 3 }]);
  const check = runCli(['data', 'check', '--qlib-dir', dir]);
  assert.equal(check.status, 1, 'missing folder of a listed symbol is an error');
  assert.match(check.stdout, /ERROR MISSING_FOLDER: 1/);
  assert.match(check.stdout, /WARNING MISSING_FIELD: 1/);
  // a damaged bin, an infinite close and a negative open are findings; the check goes on past them
  writeFileSync(join(dir, 'features', 'aaa', 'high.day.bin'), Buffer.from([1, 2, 3, 4, 5, 6, 7]));
  writeFileSync(join(dir, 'features', 'BBB', 'close.day.bin'), encodeFeatureBin(1, [1, Infinity, 1, -1]));
  writeFileSync(join(dir, 'features', 'BBB', 'open.day.bin'), encodeFeatureBin(1, [1, -2, 3, 4]));
  const odd = runCli(['data', 'check', '--qlib-dir', dir]);
  assert.equal(odd.status, 1);
  assert.match(odd.stdout, /ERROR DAMAGED_BIN: 1/);
  assert.match(odd.stdout, /ERROR INFINITE_VALUE: 1/);
  assert.match(odd.stdout, /WARNING NONPOSITIVE_PRICE: 2/);
  // each finding names its own first day (calendar day 1 is 2020-01-02)
  assert.match(odd.stdout, /BBB: close: 1 infinite values \(first 2020-01-03\)/);
  assert.match(odd.stdout, /BBB: close: 1 days <= 0 \(first 2020-01-05\)/);
  // a folder with a calendar and nothing else is not healthy
  const bare = mkdtempSync(join(tmpdir(), 'alphasage-bare-'));
  mkdirSync(join(bare, 'calendars'));
  writeFileSync(join(bare, 'calendars', 'day.txt'), '2020-01-01\n');
  const empty = runCli(['data', 'check', '--qlib-dir', bare]);
  assert.equal(empty.status, 1);
  assert.match(empty.stdout, /no universe: instruments\/ holds no/);
  assert.match(empty.stdout, /features\/ holds no symbol folder/);
});

test('import: vwap from amount / volume is NaN on a day without volume (not +Infinity)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alphasage-vwap-'));
  const csv = join(dir, 'a.csv');
  writeFileSync(csv, 'date,symbol,open,high,low,close,volume,amount\n2020-01-02,A,1,2,0.5,1.5,100,150\n2020-01-03,A,1,2,0.5,1.5,0,10\n2020-01-06,A,1,2,0.5,1.5,100,160\n');
  await importCsv({ csv, out: join(dir, 'q') });
  const bin = readFeatureBin(join(dir, 'q', 'features', 'a', 'vwap.day.bin'));
  assert.ok(bin);
  assert.deepEqual(Array.from(bin.values), [1.5, NaN, 1.600000023841858]);
});

test('import --force replaces only an earlier import: never a folder with other files, the CSV or the working directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alphasage-force-'));
  const csv = join(dir, 'a.csv');
  writeFileSync(csv, 'date,symbol,open,high,low,close,volume\n2020-01-02,A,1,2,0.5,1.5,100\n2020-01-03,A,1,2,0.5,1.5,100\n');
  const refused = async (out: string, pattern: RegExp) => {
    await assert.rejects(importCsv({ csv, out, force: true }), (e: unknown) => e instanceof UserError && pattern.test(e.message));
  };
  mkdirSync(join(dir, 'notes'));
  writeFileSync(join(dir, 'notes', 'thesis.tex'), 'keep');
  await refused(join(dir, 'notes'), /is not a Qlib data folder \(it holds thesis\.tex\)/);
  await refused(dir, /holds the CSV being imported/);
  const cwd = process.cwd();
  mkdirSync(join(dir, 'q2', 'deep'), { recursive: true });
  writeFileSync(join(dir, 'q2', 'calendars'), '');
  process.chdir(join(dir, 'q2', 'deep'));
  try {
    await refused(join(dir, 'q2'), /holds the working directory/);
  } finally {
    process.chdir(cwd);
  }
  assert.equal(readFileSync(join(dir, 'notes', 'thesis.tex'), 'utf8'), 'keep');
  assert.ok(existsSync(csv) && existsSync(join(dir, 'q2', 'deep')));
  // An earlier import is replaced.
  await importCsv({ csv, out: join(dir, 'q') });
  const again = await importCsv({ csv, out: join(dir, 'q'), force: true });
  assert.equal(again.rows, 2);
  assert.deepEqual(readdirSync(join(dir, 'q')).sort(), ['calendars', 'features', 'instruments']);
});
