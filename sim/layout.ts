// Reads and writes fields of the generated layouts (sim/xen/*.ts) at a base offset.
type Field = { readonly offset: number; readonly type: string };

export function get(view: DataView, base: number, f: Field): number {
  const at = base + f.offset;
  switch (f.type) {
    case "u8": return view.getUint8(at);
    case "i8": return view.getInt8(at);
    case "u16": return view.getUint16(at, true);
    case "i16": return view.getInt16(at, true);
    case "u32": return view.getUint32(at, true);
    case "i32": return view.getInt32(at, true);
    default: throw new Error(`layout: ${f.type} field read as a number`);
  }
}

export function put(view: DataView, base: number, f: Field, value: number): void {
  const at = base + f.offset;
  switch (f.type) {
    case "u8": case "i8": return view.setUint8(at, value);
    case "u16": case "i16": return view.setUint16(at, value, true);
    case "u32": case "i32": return view.setUint32(at, value >>> 0, true);
    default: throw new Error(`layout: ${f.type} field written as a number`);
  }
}

export function get64(view: DataView, base: number, f: Field): bigint {
  if (f.type !== "u64" && f.type !== "i64") throw new Error(`layout: ${f.type} field read as 64 bits`);
  return f.type === "u64" ? view.getBigUint64(base + f.offset, true) : view.getBigInt64(base + f.offset, true);
}

export function put64(view: DataView, base: number, f: Field, value: bigint): void {
  if (f.type !== "u64" && f.type !== "i64") throw new Error(`layout: ${f.type} field written as 64 bits`);
  view.setBigUint64(base + f.offset, BigInt.asUintN(64, value), true);
}

/** A DataView over a page or any byte range. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
