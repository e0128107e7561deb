/** The command registry: one line per command file. */
import type { Command } from 'commander';
import { registerData } from './data.js';
import { registerPool } from './pool.js';
import { registerStart } from './start.js';

export function registerCommands(program: Command): void {
  registerData(program);
  registerPool(program);
  registerStart(program);
}
