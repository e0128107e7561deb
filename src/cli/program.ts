/** The `alphasage` program: commander setup plus every registered command. */
import { Command } from 'commander';
import { registerCommands } from './commands.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('alphasage')
    .description('Mine formulaic alphas with a structure-aware GFlowNet, combine, evaluate and backtest them.')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      // Commander's own errors: one line, plus where to look for the fix.
      outputError: (str, write) => write(str.trim().split('\n')[0] + ' (see --help)\n'),
    });
  registerCommands(program);
  return program;
}
