/** `alphasage report RUN_OR_DIR`: a self-contained HTML report with server-rendered SVG charts. */
import type { Command } from 'commander';
import { relative } from 'node:path';
import { UserError } from '../util/errors.js';
import { outFileFlag } from './common.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      "Write one self-contained HTML file (no network needed): the pool table, daily IC / RankIC with rolling means, cumulative return vs the benchmark, drawdown, the alphas' mutual-IC heatmap and the training curves, from whatever the folder holds (a mining run, an 'alphasage combine' output with its backtest).",
    )
    .argument('<run-or-dir>', 'a mining run folder (or its name under runs/), or an output folder of alphasage combine')
    .option('--out <file.html>', 'where to write the report (default: report.html in that folder)', outFileFlag('--out'))
    .action(async (dir: string, opts: { out?: string }) => {
      if (opts.out !== undefined && !/\.html?$/i.test(opts.out)) throw new UserError(`--out ${opts.out} should name an .html file; add the extension.`);
      // Loaded here, not at startup: the charting library takes about two seconds to load.
      const { writeReport } = await import('../report/index.js');
      const t0 = performance.now();
      const { path, inputs, bytes } = writeReport(dir, opts.out);
      const parts = [
        inputs.pool ? 'pool table' : null,
        inputs.combine ? 'combination metrics, daily IC chart, mutual-IC heatmap' : null,
        inputs.backtest ? 'backtest, cumulative return and drawdown charts' : null,
        inputs.training ? 'training curves' : null,
      ].filter((p): p is string => p !== null);
      for (const n of inputs.notes) console.log(`note: ${n}`);
      console.log(`wrote ${relative(process.cwd(), path) || path} (${(bytes / 1024).toFixed(0)} KB: ${parts.join('; ')}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });
}
