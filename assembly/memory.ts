/** Loads and stores at byte offset p, element i (f64, i32, and f64x2 pairs of adjacent elements). */

@inline export function ld(p: usize, i: i32): f64 {
  return load<f64>(p + ((<usize>i) << 3));
}
@inline export function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + ((<usize>i) << 3), v);
}
@inline export function ldi(p: usize, i: i32): i32 {
  return load<i32>(p + ((<usize>i) << 2));
}
@inline export function sti(p: usize, i: i32, v: i32): void {
  store<i32>(p + ((<usize>i) << 2), v);
}
@inline export function fillF(p: usize, n: i32, v: f64): void {
  for (let i = 0; i < n; i++) st(p, i, v);
}
@inline export function fillI(p: usize, n: i32, v: i32): void {
  for (let i = 0; i < n; i++) sti(p, i, v);
}
@inline export function vld(p: usize, i: i32): v128 {
  return v128.load(p + ((<usize>i) << 3));
}
@inline export function vst(p: usize, i: i32, v: v128): void {
  v128.store(p + ((<usize>i) << 3), v);
}
@inline export function vsplat(x: f64): v128 {
  return f64x2.splat(x);
}
/** Values beyond this magnitude (or NaN, infinite) are "big": sums holding them take the plain formula. */
export const SHIFT_MAX: f64 = 1e100;
@inline export function isBig(x: f64): bool {
  return !(abs<f64>(x) <= SHIFT_MAX);
}

/** pin's 16 bytes. */
const PIN_SLOT: usize = memory.data(16, 16);
/**
 * v, stored and read back: V8 schedules a pure expression (say 1 / w) inside
 * the loop that uses it, so a division written before the loop runs once per
 * iteration; a loaded value stays where it is loaded. (One slot serves every
 * call: the value is read back at once.)
 */
@inline export function pin(v: v128): v128 {
  v128.store(PIN_SLOT, v);
  return v128.load(PIN_SLOT);
}
