/** Runs the alphasage CLI as a child process (as a user would) and captures its output. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    timeout: opts.timeoutMs ?? 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: exit code 2, exactly one line on stderr (alphasage: error: ...), no stack trace. */
export function isCleanUserError(r: CliResult): boolean {
  const lines = r.stderr.trim().split('\n').filter((l) => !/npm warn/i.test(l));
  return r.status === 2 && lines.length === 1 && lines[0].startsWith('alphasage: error: ') && !/\n\s+at /.test(r.stderr);
}
