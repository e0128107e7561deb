/**
 * The `alphasage` command line. Each command lives in its own file and exports
 * a `register<Command>(program)` that commands.ts calls. User errors print one line and exit with code 2.
 */
import { CommanderError } from 'commander';
import { isUserError } from '../util/errors.js';
import { normalizeFlagSpelling } from './common.js';
import { buildProgram } from './program.js';

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(normalizeFlagSpelling(argv), { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (isUserError(e)) {
      process.stderr.write(`alphasage: error: ${e.message}\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(`alphasage: internal error: ${err?.message ?? String(e)}\n`);
    if (process.env.ALPHASAGE_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
    return 1;
  }
}

/** Errors that escape main() (a timer, a stray promise): one line too, never a dump of source. */
function reportEscapedError(e: unknown): void {
  const err = e as Error;
  process.stderr.write(`alphasage: ${isUserError(e) ? 'error' : 'internal error'}: ${err?.message ?? String(e)}\n`);
  if (process.env.ALPHASAGE_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  process.exit(isUserError(e) ? 2 : 1);
}

const isEntry = process.argv[1] !== undefined && /(?:^|[\\/])(main\.[jt]s|alphasage(\.js)?)$/.test(process.argv[1]);
if (isEntry) {
  process.on('uncaughtException', reportEscapedError);
  process.on('unhandledRejection', reportEscapedError);
  // The reader went away (`alphasage pool show ... | head`): stop quietly, as Unix tools do.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit(0) : reportEscapedError(e)));
  }
  const code = await main(process.argv.slice(2));
  // A command may set its own non-zero exit code (e.g. `data check` finding errors).
  if (code !== 0) process.exitCode = code;
}
