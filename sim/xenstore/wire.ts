// The xsd_sockmsg wire protocol of <xen/io/xs_wire.h>: a 16-byte header
// (type, req_id, tx_id, len) then `len` payload bytes, the same over a ring
// page and over xenstored's Unix socket.
import { XENSTORE_PAYLOAD_MAX, XS_ERROR, xsd_sockmsg } from "../xen/io/xs_wire.ts";

export interface XsMessage {
  type: number;
  req_id: number;
  tx_id: number;
  payload: Uint8Array;
}

// xs_wire.h's xsd_errors, in its order: the only error strings on the wire.
export const XSD_ERRORS = [
  "EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC", "EIO",
  "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN", "E2BIG", "EPERM",
] as const;
export type XsErrno = (typeof XSD_ERRORS)[number];

/** A request refused with one of xenstore's error strings. */
export class XsError extends Error {
  constructor(readonly errno: XsErrno, detail?: string) {
    super(detail ? `${errno}: ${detail}` : errno);
  }
}

/** The stream broke the protocol (a length over XENSTORE_PAYLOAD_MAX): the peer cannot be resynchronised. */
export class XsProtocolError extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeMessage(type: number, req_id: number, tx_id: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(xsd_sockmsg.SIZE + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(xsd_sockmsg.type.offset, type, true);
  view.setUint32(xsd_sockmsg.req_id.offset, req_id, true);
  view.setUint32(xsd_sockmsg.tx_id.offset, tx_id, true);
  view.setUint32(xsd_sockmsg.len.offset, payload.length, true);
  out.set(payload, xsd_sockmsg.SIZE);
  return out;
}

export function errorPayload(errno: XsErrno): Uint8Array {
  return strings(errno);
}

export function encodeError(req_id: number, tx_id: number, errno: XsErrno): Uint8Array {
  return encodeMessage(XS_ERROR, req_id, tx_id, errorPayload(errno));
}

/** Each string NUL-terminated, as xenstored writes replies ("OK\0", directory lists, perms). */
export function strings(...items: string[]): Uint8Array {
  return encoder.encode(items.map((s) => s + "\0").join(""));
}

export function utf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The NUL-terminated strings at the start of a payload; `rest` is what follows the last NUL. */
export function splitStrings(payload: Uint8Array): { items: string[]; rest: Uint8Array } {
  const items: string[] = [];
  let start = 0;
  for (let i = 0; i < payload.length; i++) {
    if (payload[i] === 0) {
      items.push(utf8(payload.subarray(start, i)));
      start = i + 1;
    }
  }
  return { items, rest: payload.subarray(start) };
}

/** Reassembles messages from a byte stream that may arrive in any pieces. */
export class MessageReader {
  private buffer = new Uint8Array(0);

  push(chunk: Uint8Array): void {
    const next = new Uint8Array(this.buffer.length + chunk.length);
    next.set(this.buffer);
    next.set(chunk, this.buffer.length);
    this.buffer = next;
  }

  /** The next whole message, or null; throws XsProtocolError on a length over XENSTORE_PAYLOAD_MAX. */
  next(): XsMessage | null {
    if (this.buffer.length < xsd_sockmsg.SIZE) return null;
    const view = new DataView(this.buffer.buffer, this.buffer.byteOffset, xsd_sockmsg.SIZE);
    const len = view.getUint32(xsd_sockmsg.len.offset, true);
    if (len > XENSTORE_PAYLOAD_MAX) {
      throw new XsProtocolError(`message length ${len} exceeds XENSTORE_PAYLOAD_MAX (${XENSTORE_PAYLOAD_MAX})`);
    }
    if (this.buffer.length < xsd_sockmsg.SIZE + len) return null;
    const message = {
      type: view.getUint32(xsd_sockmsg.type.offset, true),
      req_id: view.getUint32(xsd_sockmsg.req_id.offset, true),
      tx_id: view.getUint32(xsd_sockmsg.tx_id.offset, true),
      payload: this.buffer.slice(xsd_sockmsg.SIZE, xsd_sockmsg.SIZE + len),
    };
    this.buffer = this.buffer.slice(xsd_sockmsg.SIZE + len);
    return message;
  }

  /** Bytes held that do not yet form a whole message. */
  get pending(): number {
    return this.buffer.length;
  }
}
