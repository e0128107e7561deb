/** `alphasage data import|info|check`. */
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { importCsv } from '../data/importCsv.js';
import { checkData, dataInfo } from '../data/check.js';
import { resolveQlibDir } from '../data/bundled.js';
import { assertQlibDir } from '../data/qlib.js';
import { intFlag, outDirFlag } from './common.js';

export function registerData(program: Command): void {
  const data = program.command('data').description('Import, describe and check Qlib-format data.');

  data
    .command('import')
    .description('Convert a long CSV (date,symbol,open,high,low,close,volume[,vwap,amount,factor]) into the Qlib binary layout.')
    .requiredOption('--csv <file>', 'input CSV, optionally gzip-compressed (.gz)')
    .requiredOption('--out <dir>', 'output Qlib folder', outDirFlag('--out'))
    .option('--force', 'replace the output folder if it exists', false)
    .action(async (opts: { csv: string; out: string; force: boolean }) => {
      const bar = new SingleBar({ format: 'import [{bar}] {percentage}% | {value}/{total} MB | ETA {eta}s', stream: process.stderr }, Presets.shades_classic);
      let started = false;
      const notes: string[] = [];
      const t0 = performance.now();
      const s = await importCsv({
        csv: opts.csv,
        out: opts.out,
        force: opts.force,
        onProgress: (done, total) => {
          if (!started) {
            bar.start(Math.round(total / 1e5) / 10, 0);
            started = true;
          }
          bar.update(Math.round(done / 1e5) / 10);
        },
        notice: (m) => notes.push(m), // shown after a successful import: a failure prints its error line alone
      });
      if (started) bar.stop();
      for (const m of notes) process.stderr.write(`note: ${m}\n`);
      console.log(`imported ${s.rows} rows: ${s.symbols} symbols, ${s.days} days (${s.firstDay}..${s.lastDay}), fields ${s.fields.join(' ')}, ${s.blankCells} blank cells -> ${opts.out} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });

  data
    .command('info')
    .description('Calendar range, symbols, universes with sizes, fields and their NaN share.')
    .option('--qlib-dir <dir>', 'Qlib data folder (default: the bundled S&P 500 set)')
    .option('--json', 'print JSON', false)
    .action(async (opts: { qlibDir?: string; json: boolean }) => {
      const dir = await resolveQlibDir(opts.qlibDir);
      printInfo(dir, opts.json);
    });

  data
    .command('check')
    .description('Health check: missing fields, bins that disagree with the calendar, NaN runs, price jumps > 50%, volume <= 0. Exit 1 on errors.')
    .option('--qlib-dir <dir>', 'Qlib data folder (default: the bundled S&P 500 set)')
    .option('--max-nan-run <n>', 'report runs of more missing days than this', intFlag('--max-nan-run', 0), 5)
    .option('--show <n>', 'findings listed per kind', intFlag('--show', 0), 5)
    .action(async (opts: { qlibDir?: string; maxNanRun: number; show: number }) => {
      const dir = await resolveQlibDir(opts.qlibDir);
      assertQlibDir(dir);
      const findings = checkData(dir, { maxNanRun: opts.maxNanRun });
      const byKind = new Map<string, typeof findings>();
      for (const f of findings) {
        const key = `${f.severity} ${f.kind}`;
        byKind.set(key, [...(byKind.get(key) ?? []), f]);
      }
      if (findings.length === 0) console.log(`${dir}: no findings`);
      for (const [key, list] of byKind) {
        console.log(`${key.toUpperCase()}: ${list.length}`);
        for (const f of list.slice(0, opts.show)) console.log(`  ${f.symbol}: ${f.detail}`);
        if (list.length > opts.show) console.log(`  ... ${list.length - opts.show} more`);
      }
      const errors = findings.filter((f) => f.severity === 'error').length;
      console.log(`${errors} errors, ${findings.length - errors} warnings`);
      if (errors > 0) process.exitCode = 1;
    });
}

export function printInfo(dir: string, json = false): void {
  assertQlibDir(dir);
  const info = dataInfo(dir);
  if (json) {
    console.log(JSON.stringify({ dir, ...info }, null, 2));
    return;
  }
  console.log(`Qlib folder: ${dir}`);
  console.log(`calendar:    ${info.calendar.first} .. ${info.calendar.last} (${info.calendar.days} trading days)`);
  console.log(`symbols:     ${info.symbols}`);
  console.log(`universes:   ${info.universes.map((u) => `${u.name} (${u.size})`).join(', ') || '(none)'}`);
  console.log('fields:');
  for (const f of info.fields) console.log(`  ${f.name.padEnd(8)} ${String(f.files).padStart(5)} files  ${String(f.values).padStart(9)} values  NaN ${(f.nanShare * 100).toFixed(3)}%`);
}
