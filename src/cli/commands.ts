/** The command registry: one line per command file. */
import type { Command } from 'commander';
import { registerBacktest } from './backtest.js';
import { registerCombine } from './combine.js';
import { registerData } from './data.js';
import { registerEval } from './eval.js';
import { registerMine } from './mine.js';
import { registerPool } from './pool.js';
import { registerReport } from './report.js';
import { registerStart } from './start.js';

export function registerCommands(program: Command): void {
  registerCombine(program);
  registerBacktest(program);
  registerReport(program);
  registerData(program);
  registerEval(program);
  registerMine(program);
  registerPool(program);
  registerStart(program);
}
