/**
 * Reader/writer of the Qlib binary layout (SPEC §1.1):
 *   calendars/day.txt, instruments/<universe>.txt, features/<symbol>/<field>.day.bin
 * A .bin is little-endian float32: [start index in the calendar, values...].
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { isCalendarDate } from '../util/dates.js';
import { isSafeSymbol } from './symbols.js';
import type { Span } from './types.js';

export function calendarPath(dir: string): string {
  return join(dir, 'calendars', 'day.txt');
}

/** Checks that `dir` looks like a Qlib folder; throws a UserError naming what is missing. */
export function assertQlibDir(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`Qlib folder '${dir}' ${existsSync(dir) ? 'is a file' : 'does not exist'}; pass --qlib-dir with a folder holding calendars/, instruments/ and features/ (or omit it to use the bundled data).`);
  }
  if (!existsSync(calendarPath(dir))) {
    throw new UserError(`'${dir}' has no calendars/day.txt, so it is not a Qlib data folder; point --qlib-dir at the folder that holds calendars/, instruments/ and features/.`);
  }
}

export function readCalendar(dir: string): string[] {
  assertQlibDir(dir);
  const lines = readFileSync(calendarPath(dir), 'utf8').split(/\r?\n/);
  const days: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    const day = line.slice(0, 10); // Qlib may store "YYYY-MM-DD HH:MM:SS" for daily data too
    if (!isCalendarDate(day)) {
      throw new UserError(`calendar ${calendarPath(dir)} has a line '${line}' that is not a date YYYY-MM-DD; fix or regenerate the calendar.`);
    }
    days.push(day);
  }
  for (let i = 1; i < days.length; i++) {
    if (days[i] <= days[i - 1]) {
      throw new UserError(`calendar ${calendarPath(dir)} is not ascending at '${days[i]}'; sort it and remove duplicates.`);
    }
  }
  return days;
}

/** Parses a Qlib instruments file: SYMBOL<TAB>start<TAB>end, several spans per symbol allowed. */
export function parseInstruments(text: string, source: string): Map<string, Span[]> {
  const out = new Map<string, Span[]>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const parts = line.split(/\s+/);
    if (parts.length < 3 || !isCalendarDate(parts[1].slice(0, 10)) || !isCalendarDate(parts[2].slice(0, 10))) {
      throw new UserError(`${source}:${i + 1}: expected 'SYMBOL<TAB>START<TAB>END' with dates YYYY-MM-DD, got '${line}'; fix that line.`);
    }
    const symbol = parts[0].toUpperCase();
    if (!isSafeSymbol(symbol)) throw new UserError(`${source}:${i + 1}: symbol '${parts[0]}' cannot name a folder under features/ (it holds a path separator or is . or ..); fix that line.`);
    const span = { start: parts[1].slice(0, 10), end: parts[2].slice(0, 10) };
    if (span.end < span.start) {
      throw new UserError(`${source}:${i + 1}: span end ${span.end} is before its start ${span.start}; swap or fix the dates.`);
    }
    const spans = out.get(symbol);
    if (spans) spans.push(span);
    else out.set(symbol, [span]);
  });
  return out;
}

export function instrumentsPath(dir: string, universe: string): string {
  return join(dir, 'instruments', `${universe}.txt`);
}

export function listUniverses(dir: string): string[] {
  const d = join(dir, 'instruments');
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => f.slice(0, -4))
    .sort();
}

export function readUniverse(dir: string, universe: string): Map<string, Span[]> {
  const path = instrumentsPath(dir, universe);
  if (!existsSync(path)) {
    const known = listUniverses(dir);
    throw new UserError(`universe '${universe}' not found (no ${path}); use one of: ${known.join(', ') || '(none)'}, or pass --universe-file.`);
  }
  return parseInstruments(readFileSync(path, 'utf8'), path);
}

export function readUniverseFile(path: string): Map<string, Span[]> {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UserError(`universe file '${path}' ${existsSync(path) ? 'is a folder' : 'does not exist'}; pass a Qlib instruments file (SYMBOL<TAB>START<TAB>END per line).`);
  }
  return parseInstruments(readFileSync(path, 'utf8'), path);
}

/** The feature folder of a symbol: lower-case as Qlib writes it, or as found (some datasets keep upper case). */
export function featureDir(dir: string, symbol: string): string | undefined {
  for (const name of [symbol.toLowerCase(), symbol, symbol.toUpperCase()]) {
    const p = join(dir, 'features', name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export interface FeatureBin {
  /** Calendar index of values[0]. */
  start: number;
  values: Float32Array;
}

export function readFeatureBin(path: string): FeatureBin | undefined {
  if (!existsSync(path)) return undefined;
  const buf = readFileSync(path);
  if (buf.byteLength < 4 || buf.byteLength % 4 !== 0) {
    throw new UserError(`feature file ${path} is ${buf.byteLength} bytes, not a whole number of float32 values; re-import the data.`);
  }
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const start = all[0];
  if (!Number.isInteger(start) || start < 0) {
    throw new UserError(`feature file ${path} starts with ${start}, not a calendar index; re-import the data.`);
  }
  return { start, values: all.subarray(1) };
}

/** Encodes a feature series the way Qlib's dump_bin does: float32 LE, first value = start index. */
export function encodeFeatureBin(start: number, values: ArrayLike<number>): Buffer {
  const arr = new Float32Array(values.length + 1);
  arr[0] = start;
  for (let i = 0; i < values.length; i++) arr[i + 1] = values[i];
  // Float32Array uses platform byte order; every platform Node runs on here is little-endian.
  return Buffer.from(arr.buffer);
}
