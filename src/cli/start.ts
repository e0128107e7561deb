/**
 * `alphasage start` (npm start): the main job on the bundled data, end to end:
 * import the data (once), mine a pool with the quick preset, combine it
 * (adaptive, AlphaForge style), backtest the combination and write the HTML
 * report. Each stage is the ordinary command, so the output is what a user
 * would get running them one by one.
 */
import type { Command } from 'commander';
import { join, relative, resolve } from 'node:path';
import { BUNDLED_INDEX_CSV, bundledQlibDir } from '../data/bundled.js';
import { FINAL_POOL_FILE } from '../miner/config.js';
import { UserError } from '../util/errors.js';
import { intFlag, outDirFlag } from './common.js';

interface StartOptions {
  out?: string;
  seed: number;
  full: boolean;
  episodes?: number;
  resume?: string;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description(
      'The quick start on the bundled S&P 500 data: mine a pool (quick preset), combine it, backtest it and write the HTML report.',
    )
    .option('--out <dir>', 'run folder (default: runs/start-<time>)', outDirFlag('--out'))
    .option('--seed <n>', 'random seed of the miner', intFlag('--seed', 0, 2 ** 32 - 1), 0)
    .option('--full', 'mine with the published defaults (10,000 episodes) instead of the quick preset', false)
    .option('--episodes <n>', 'mine this many episodes instead (one log at the end)', intFlag('--episodes', 1))
    .option('--resume <dir>', 'continue an interrupted start from its run folder (mining resumes at its last checkpoint)')
    .action(async (opts: StartOptions, cmd: Command) => {
      if (opts.resume !== undefined && (opts.out !== undefined || opts.full || opts.episodes !== undefined || cmd.getOptionValueSource('seed') === 'cli')) {
        throw new UserError('--resume continues a run with its own settings and folder; drop --out, --full, --episodes and --seed.');
      }
      // A folder that holds no run: one error line, before any banner.
      if (opts.resume !== undefined) (await import('../miner/run.js')).readRunConfig(opts.resume);
      const runDir = resolve(opts.resume ?? opts.out ?? join('runs', `start-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`));
      const show = relative(process.cwd(), runDir) || '.';
      await bundledQlibDir(); // import it now, before the stages (which then use it as the default data)
      // A fresh program per stage: commander keeps option values on its instances.
      const { buildProgram } = await import('./program.js');
      // `internal`: flags start passes that are not part of the command a user would type.
      const stage = async (title: string, argv: string[], internal: string[] = []): Promise<void> => {
        console.log(`\n== ${title}: alphasage ${argv.join(' ')}`);
        await buildProgram().parseAsync([...argv, ...internal], { from: 'user' });
      };
      if (opts.full && opts.episodes !== undefined) throw new UserError('--full and --episodes both set the length of the run; give one of them.');
      const length = opts.episodes !== undefined ? ['--n-episodes', String(opts.episodes), '--log-freq', String(opts.episodes)] : opts.full ? [] : ['--preset', 'quick'];
      // An interrupted mine stage is continued by start, which then runs the other stages.
      const hint = ['--resume-hint', `npm start -- --resume ${show} (or alphasage start --resume ${show})`];
      const mine = opts.resume !== undefined ? ['mine', '--resume', show] : ['mine', ...length, '--seed', String(opts.seed), '--out', show];
      await stage('1/4 mine', mine, hint);
      const pool = join(show, FINAL_POOL_FILE);
      const combined = join(show, 'combine');
      await stage('2/4 combine', ['combine', '--pool', pool, '--out', combined]);
      await stage('3/4 backtest', ['backtest', '--pred', combined, '--benchmark', relative(process.cwd(), BUNDLED_INDEX_CSV)]);
      await stage('4/4 report', ['report', combined, '--out', join(show, 'report.html')]);
      console.log(`\ndone: the pool is ${pool}, the report ${join(show, 'report.html')}.`);
    });
}
