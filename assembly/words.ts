/** A double's 32-bit halves (fdlibm's GET_HIGH_WORD and friends), for the ports in log.ts and pow.ts. */

@inline export function hiWord(x: f64): i32 {
  return <i32>(reinterpret<u64>(x) >> 32);
}
@inline export function loWord(x: f64): u32 {
  return <u32>reinterpret<u64>(x);
}
/** x with its high word replaced. */
@inline export function withHi(x: f64, hi: i32): f64 {
  return reinterpret<f64>((<u64>(<u32>hi) << 32) | (reinterpret<u64>(x) & 0xffffffff));
}
/** x with its low word cleared. */
@inline export function clearLo(x: f64): f64 {
  return reinterpret<f64>(reinterpret<u64>(x) & 0xffffffff00000000);
}
/** The double with this high word and a zero low word. */
@inline export function fromHi(hi: i32): f64 {
  return reinterpret<f64>(<u64>(<u32>hi) << 32);
}
