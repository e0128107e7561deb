/** Shared flag parsers for the CLI: each throws a UserError naming the flag and the fix. */
import { InvalidArgumentError } from 'commander';

export function intFlag(name: string, min = -Infinity, max = Infinity) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`${name} must be an integer, got '${value}'.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be in [${min}, ${max}], got ${n}.`);
    return n;
  };
}

export function floatFlag(name: string, min = -Infinity, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got '${value}'.`);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be in [${min}, ${max}], got ${n}.`);
    return n;
  };
}

export function dateFlag(name: string) {
  return (value: string): string => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value + 'T00:00:00Z'))) {
      throw new InvalidArgumentError(`${name} must be a date YYYY-MM-DD, got '${value}'.`);
    }
    return value;
  };
}

export function choiceFlag<T extends string>(name: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')}, got '${value}'.`);
    }
    return value as T;
  };
}

/**
 * Accept the Python snake_case spelling of every long flag (`--pool_capacity`
 * -> `--pool-capacity`). Only the flag name is rewritten, never its value.
 */
export function normalizeFlagSpelling(argv: readonly string[]): string[] {
  return argv.map((a) => {
    const m = /^--([A-Za-z0-9_]+)(=.*)?$/s.exec(a);
    if (!m || !m[1].includes('_')) return a;
    return `--${m[1].replace(/_/g, '-')}${m[2] ?? ''}`;
  });
}
