/**
 * Summary and health check of a Qlib folder (`data info`, `data check`),
 * in the spirit of Qlib's check_data_health.py.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { featureDir, listUniverses, readCalendar, readFeatureBin, readUniverse } from './qlib.js';
import { FEATURES } from './types.js';

export interface DataInfo {
  calendar: { first: string; last: string; days: number };
  symbols: number;
  universes: { name: string; size: number }[];
  fields: { name: string; files: number; values: number; nanShare: number }[];
}

function featureFolders(dir: string): string[] {
  const f = join(dir, 'features');
  return existsSync(f) ? readdirSync(f).sort() : [];
}

export function dataInfo(dir: string): DataInfo {
  const cal = readCalendar(dir);
  const universes = listUniverses(dir).map((name) => ({ name, size: readUniverse(dir, name).size }));
  const folders = featureFolders(dir);
  const stats = new Map<string, { files: number; values: number; nan: number }>();
  for (const sym of folders) {
    const d = join(dir, 'features', sym);
    for (const file of readdirSync(d)) {
      if (!file.endsWith('.day.bin')) continue;
      const name = file.slice(0, -'.day.bin'.length);
      const bin = readFeatureBin(join(d, file));
      if (!bin) continue;
      let nan = 0;
      for (let i = 0; i < bin.values.length; i++) if (bin.values[i] !== bin.values[i]) nan++;
      const s = stats.get(name) ?? { files: 0, values: 0, nan: 0 };
      s.files++;
      s.values += bin.values.length;
      s.nan += nan;
      stats.set(name, s);
    }
  }
  const fields = Array.from(stats.entries())
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, s]) => ({ name, files: s.files, values: s.values, nanShare: s.values ? s.nan / s.values : 0 }));
  return { calendar: { first: cal[0], last: cal[cal.length - 1], days: cal.length }, symbols: folders.length, universes, fields };
}

export type Severity = 'error' | 'warning';
export interface Finding {
  severity: Severity;
  kind: 'missing_folder' | 'missing_field' | 'calendar_mismatch' | 'nan_run' | 'price_jump' | 'nonpositive_volume' | 'damaged_bin' | 'infinite_value' | 'nonpositive_price';
  symbol: string;
  detail: string;
}

const PRICE_FIELDS = ['open', 'close', 'high', 'low'];
const REQUIRED_FIELDS = ['open', 'close', 'high', 'low', 'volume'];

export function checkData(dir: string, opts: { maxNanRun?: number; maxJump?: number } = {}): Finding[] {
  const maxNanRun = opts.maxNanRun ?? 5;
  const maxJump = opts.maxJump ?? 0.5;
  const cal = readCalendar(dir);
  const findings: Finding[] = [];
  const listed = new Set<string>();
  const universes = listUniverses(dir);
  if (universes.length === 0) findings.push({ severity: 'error', kind: 'missing_folder', symbol: '-', detail: 'no universe: instruments/ holds no <name>.txt (all.txt at least)' });
  for (const u of universes) for (const sym of readUniverse(dir, u).keys()) listed.add(sym);
  const folders = featureFolders(dir);
  if (folders.length === 0) findings.push({ severity: 'error', kind: 'missing_folder', symbol: '-', detail: 'features/ holds no symbol folder' });
  for (const sym of folders) listed.add(sym.toUpperCase());
  for (const sym of Array.from(listed).sort()) {
    const d = featureDir(dir, sym);
    if (!d) {
      findings.push({ severity: 'error', kind: 'missing_folder', symbol: sym, detail: 'listed in a universe but has no features folder' });
      continue;
    }
    for (const field of FEATURES) {
      let bin: ReturnType<typeof readFeatureBin>;
      try {
        bin = readFeatureBin(join(d, `${field}.day.bin`));
      } catch (e) {
        // A damaged file is a finding like the others, not the end of the check.
        findings.push({ severity: 'error', kind: 'damaged_bin', symbol: sym, detail: (e as Error).message });
        continue;
      }
      if (!bin) {
        findings.push({ severity: REQUIRED_FIELDS.includes(field) ? 'error' : 'warning', kind: 'missing_field', symbol: sym, detail: `no ${field}.day.bin` });
        continue;
      }
      const v = bin.values;
      if (bin.start + v.length > cal.length) {
        findings.push({ severity: 'error', kind: 'calendar_mismatch', symbol: sym, detail: `${field}: starts at day ${bin.start} with ${v.length} values but the calendar has ${cal.length} days` });
        continue;
      }
      let run = 0;
      let runStart = 0;
      for (let i = 0; i <= v.length; i++) {
        if (i < v.length && v[i] !== v[i]) {
          if (run === 0) runStart = i;
          run++;
        } else {
          if (run > maxNanRun) findings.push({ severity: 'warning', kind: 'nan_run', symbol: sym, detail: `${field}: ${run} missing days from ${cal[bin.start + runStart]}` });
          run = 0;
        }
      }
      const isPrice = PRICE_FIELDS.includes(field);
      let infinite = 0;
      let nonPositive = 0;
      let firstInfinite = '';
      let firstNonPositive = '';
      for (let i = 0; i < v.length; i++) {
        if (v[i] === Infinity || v[i] === -Infinity) {
          if (infinite++ === 0) firstInfinite = cal[bin.start + i];
        } else if (isPrice && v[i] <= 0) {
          if (nonPositive++ === 0) firstNonPositive = cal[bin.start + i];
        }
      }
      if (infinite > 0) findings.push({ severity: 'error', kind: 'infinite_value', symbol: sym, detail: `${field}: ${infinite} infinite values (first ${firstInfinite})` });
      if (nonPositive > 0) findings.push({ severity: 'warning', kind: 'nonpositive_price', symbol: sym, detail: `${field}: ${nonPositive} days <= 0 (first ${firstNonPositive})` });
      if (isPrice) {
        for (let i = 1; i < v.length; i++) {
          const r = v[i] / v[i - 1] - 1;
          if (Math.abs(r) > maxJump) findings.push({ severity: 'warning', kind: 'price_jump', symbol: sym, detail: `${field}: ${(r * 100).toFixed(1)}% on ${cal[bin.start + i]}` });
        }
      }
      if (field === 'volume') {
        let bad = 0;
        let firstBad = '';
        for (let i = 0; i < v.length; i++) {
          if (v[i] <= 0) {
            if (bad === 0) firstBad = cal[bin.start + i];
            bad++;
          }
        }
        if (bad > 0) findings.push({ severity: 'warning', kind: 'nonpositive_volume', symbol: sym, detail: `${bad} days with volume <= 0 (first ${firstBad})` });
      }
    }
  }
  return findings;
}
