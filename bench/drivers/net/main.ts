// The network benchmark's guest (bench/drivers/network.ts runs it): raw
// Ethernet frames through netfront, no stack above it, so that the figures are
// the driver's, the core's and the simulator's. Command line:
//   role=send name=NAME count=N size=BYTES [peer=MAC]: sends N frames of BYTES
//     (Ethernet header included) to MAC (default: broadcast), waiting for ring
//     room whenever netfront says EAGAIN; "begin NAME" before, "end NAME N" after.
//     Frame i carries i after the header and i ^ TAIL in its last 4 bytes.
//   role=recv name=NAME count=N size=BYTES: counts frames until N arrived or
//     none came for a second of (virtual) time; "end NAME RECEIVED" (its sender
//     printed begin), then how many were intact, in order, and how many not.
import { allocPage, cmdlineArg, FrameListener, monotonicNs, NS_PER_SEC, panic, println, schedule, sleep } from "morgana/runtime";
import { connectNetfront, parseMac } from "morgana/drivers/netfront";
import { XEN_EAGAIN } from "morgana/runtime/xen/errno";

/** An EtherType for local experiments (IEEE 802 local experimental 1). */
const ETHERTYPE_BENCH: u16 = 0x88b5;
/** Marks a frame's last word, so that a truncated or shifted copy shows. */
const TAIL: u32 = 0x7461696c;

function arg(key: string): string {
  const value = cmdlineArg(key);
  if (value == null) panic(`net-bench: no ${key}= on the command line`);
  return value!;
}

class Counter extends FrameListener {
  frames: u32 = 0;
  /** Frames of the wrong length, out of order, or with a broken tail. */
  bad: u32 = 0;
  constructor(readonly size: u32) {
    super();
  }
  onFrame(frame: usize, length: u32): void {
    if (length < 14 || bswap<u16>(load<u16>(frame, 12)) != ETHERTYPE_BENCH) return;
    const seq = this.frames + this.bad;
    if (length == this.size && load<u32>(frame, 14) == seq && load<u32>(frame + length - 4) == (seq ^ TAIL)) this.frames++;
    else this.bad++;
  }
}

function send(name: string, count: u32, size: u32): i32 {
  const nic = connectNetfront();
  if (size < 22 || size > 14 + nic.mtu()) panic(`net-bench: size=${size}: from 22 to ${14 + nic.mtu()} bytes`);
  const frame = allocPage();
  const peer = cmdlineArg("peer");
  const dst: i64 = peer == null ? 0xffffffffffff : parseMac(peer);
  if (dst < 0) panic(`net-bench: peer=${peer!}: not a MAC address`);
  for (let i = 0; i < 6; i++) store<u8>(frame + i, <u8>(dst >> (8 * (5 - i))));
  nic.mac(frame + 6);
  store<u16>(frame, bswap<u16>(ETHERTYPE_BENCH), 12);
  sleep(NS_PER_SEC); // the receiver's netfront connects meanwhile (virtual time: free)
  println(`begin ${name}`);
  let again: u64 = 0;
  for (let sent: u32 = 0; sent < count; ) {
    store<u32>(frame, sent, 14);
    store<u32>(frame + size - 4, sent ^ TAIL);
    const rc = nic.write(frame, size);
    if (rc == -<i32>XEN_EAGAIN) {
      again++;
      schedule(monotonicNs() + 1000); // the backend takes the ring meanwhile
    } else if (rc) {
      println(`${name}: write: error ${rc}`);
      return 1;
    } else {
      sent++;
    }
  }
  println(`end ${name} ${count}`);
  println(`${name}: ring full ${again} times, tx errors ${nic.stats().txErrors}`);
  return 0;
}

function receive(name: string, count: u32, size: u32): i32 {
  const nic = connectNetfront();
  const counter = new Counter(size);
  nic.listen(counter);
  let last: u32 = 0;
  let quietSince = monotonicNs();
  while (counter.frames + counter.bad < count) {
    schedule(quietSince + NS_PER_SEC);
    if (counter.frames + counter.bad != last) {
      last = counter.frames + counter.bad;
      quietSince = monotonicNs();
    } else if (last > 0 && monotonicNs() >= quietSince + NS_PER_SEC) {
      break;
    }
  }
  println(`end ${name} ${counter.frames + counter.bad}`);
  println(`${name}: ${counter.frames} intact and in order, ${counter.bad} not`);
  const s = nic.stats();
  println(`${name}: rx ${s.rxPackets} dropped ${s.rxDropped} errors ${s.rxErrors}`);
  return 0;
}

export function main(): i32 {
  const role = arg("role");
  const name = arg("name");
  const count = <u32>I32.parseInt(arg("count"));
  if (role == "send") return send(name, count, <u32>I32.parseInt(arg("size")));
  if (role == "recv") return receive(name, count, <u32>I32.parseInt(arg("size")));
  panic(`net-bench: role=${role}: send or recv`);
  return 1;
}
