/**
 * `alphasage start` (npm start) end to end on the bundled data, with a short
 * run: mine -> combine -> backtest -> report, each stage's files present and
 * the printed pool and metrics consistent with them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCleanUserError, runCli } from './helpers/cli.js';

test('start runs the whole pipeline on the bundled data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alphasage-start-'));
  const out = join(dir, 'run');
  try {
    const r = runCli(['start', '--episodes', '128', '--seed', '3', '--out', out], { timeoutMs: 600_000 });
    assert.equal(r.status, 0, r.stderr);
    for (const f of ['config.json', 'metrics.jsonl', 'pool.json', 'checkpoint.json', 'combine/metrics.json', 'combine/pred.json', 'combine/backtest.json', 'report.html']) {
      assert.ok(existsSync(join(out, f)), `missing ${f}`);
    }
    const pool = JSON.parse(readFileSync(join(out, 'pool.json'), 'utf8')) as { exprs: string[]; weights: number[] };
    assert.ok(pool.exprs.length > 0, 'the mined pool is empty');
    assert.equal(pool.weights.length, pool.exprs.length);
    // The printed pool table lists every mined expression, then each stage reports.
    for (const e of pool.exprs) assert.ok(r.stdout.includes(e), `pool member ${e} not printed`);
    assert.match(r.stdout, /test IC -?\d\.\d{4} +ICIR/);
    assert.match(r.stdout, /^Test +-?\d/m);
    assert.match(r.stdout, /strategy \(after cost\)/);
    // The bundled data is named as such (null), so a later `backtest --pred` keeps the S&P 500 index as benchmark.
    const pred = JSON.parse(readFileSync(join(out, 'combine', 'pred.json'), 'utf8')) as { data: { qlib_dir: string | null } };
    assert.equal(pred.data.qlib_dir, null);
    const rerun = runCli(['backtest', '--pred', join(out, 'combine'), '--out', join(dir, 'bt')]);
    assert.equal(rerun.status, 0, rerun.stderr);
    assert.match(rerun.stdout, /benchmark .*sp500_index_2013_2018\.csv/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.ok(html.includes('<svg'), 'the report has no chart');
    // Resuming a finished start shows its pool and redoes the later stages.
    const again = runCli(['start', '--resume', out], { timeoutMs: 600_000 });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /already finished 128 episodes/);
    assert.match(again.stdout, /strategy \(after cost\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('start rejects conflicting length flags with one clear line', () => {
  const r = runCli(['start', '--full', '--episodes', '10']);
  assert.ok(isCleanUserError(r), r.stderr);
  assert.match(r.stderr, /--full and --episodes/);
});

test('start --resume refuses settings of its own with one clear line', () => {
  const r = runCli(['start', '--resume', 'runs/nowhere', '--episodes', '10']);
  assert.ok(isCleanUserError(r), r.stderr);
  assert.match(r.stderr, /--resume continues a run/);
});
