// Network byte order on linear memory: the wire is big-endian, wasm little-endian.
// Callers check every offset against the frame's length before reading.

// @ts-ignore: decorator
@inline export function load16(at: usize): u32 {
  return <u32>bswap<u16>(load<u16>(at));
}

// @ts-ignore: decorator
@inline export function load32(at: usize): u32 {
  return bswap<u32>(load<u32>(at));
}

// @ts-ignore: decorator
@inline export function store16(at: usize, value: u32): void {
  store<u16>(at, bswap<u16>(<u16>value));
}

// @ts-ignore: decorator
@inline export function store32(at: usize, value: u32): void {
  store<u32>(at, bswap<u32>(value));
}
