/** `alphasage start` (npm start): the main job on the bundled data. */
import type { Command } from 'commander';
import { bundledQlibDir } from '../data/bundled.js';
import { printInfo } from './data.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('The quick start: import the bundled S&P 500 data (once) and describe it.')
    .action(async () => {
      const dir = await bundledQlibDir();
      printInfo(dir);
    });
}
