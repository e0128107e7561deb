/** The command registry: one line per command file. */
import type { Command } from 'commander';
import { registerData } from './data.js';
import { registerStart } from './start.js';

export function registerCommands(program: Command): void {
  registerData(program);
  registerStart(program);
}
