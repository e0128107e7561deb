/** Named windows of the bundled S&P 500 data (SPEC §1.3). */
import { UserError } from '../util/errors.js';

export interface DateWindow {
  start: string;
  end: string;
}

export const SPLITS = {
  train: { start: '2013-08-01', end: '2015-12-31' },
  valid: { start: '2016-01-01', end: '2016-12-31' },
  test: { start: '2017-01-01', end: '2017-12-20' },
} as const satisfies Record<string, DateWindow>;

export type SplitName = keyof typeof SPLITS;
export const SPLIT_NAMES = Object.keys(SPLITS) as SplitName[];

/** --split, or --start/--end (both), or the given default. */
export function resolveWindow(opts: { split?: string; start?: string; end?: string }, fallback?: DateWindow): DateWindow {
  if (opts.split !== undefined) {
    if (opts.start !== undefined || opts.end !== undefined) {
      throw new UserError('give either --split or --start/--end, not both.');
    }
    const w = (SPLITS as Record<string, DateWindow>)[opts.split];
    if (!w) throw new UserError(`unknown split '${opts.split}'; use one of ${SPLIT_NAMES.join(', ')}.`);
    return w;
  }
  if (opts.start !== undefined || opts.end !== undefined) {
    if (opts.start === undefined || opts.end === undefined) throw new UserError('give both --start and --end (YYYY-MM-DD), or --split.');
    if (opts.end < opts.start) throw new UserError(`--end ${opts.end} is before --start ${opts.start}; swap them.`);
    return { start: opts.start, end: opts.end };
  }
  if (fallback) return fallback;
  throw new UserError(`give a window: --split ${SPLIT_NAMES.join('|')} or --start YYYY-MM-DD --end YYYY-MM-DD.`);
}
