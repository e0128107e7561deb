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
      // Commander's errors in the shape of the others (alphasage: error: ...), one line. A flag parser's own
      // message names the flag and the fix, so commander's preamble before it goes; its native errors
      // (unknown option, missing argument) point to --help.
      outputError: (str, write) => {
        const line = str.trim().split('\n')[0].replace(/^error: /, '');
        const parsed = /^option '[^']*' argument '.*' is invalid\. (--.+)$/.exec(line);
        write(`alphasage: error: ${parsed ? parsed[1] : `${line} (see --help)`}\n`);
      },
    });
  registerCommands(program);
  return program;
}
