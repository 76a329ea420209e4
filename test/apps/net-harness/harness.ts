// The stack as a library for test/net*.test.ts: frames fed in and captured
// out through exported functions, counters read by index, the pair scenario
// run without a hypervisor. The host supplies time (see test/net-host.ts).
// asc routes abort to the core's panic (cli/build.ts --use abort=...): the core comes in through start.
import "morgana/runtime/start";
import { allocPages, FrameListener, NetworkStats, sleep } from "morgana/runtime";
import { NetStack } from "morgana/net/stack";
import { NetConfig, parseNetConfig } from "morgana/net/config";
import { Counter, counterName, OUTCOMES } from "morgana/net/counters";
import { checksum } from "morgana/net/checksum";
import { UdpEcho } from "morgana/net/echo";
import { Scenario } from "../net-pair/scenario";
import { TestDevice } from "../lib/test-device";

const CAPTURE: i32 = 64;

/** Records what the stack writes; the test reads the frames back. */
class CaptureDevice extends TestDevice {
  frames!: StaticArray<usize>;
  lengths: StaticArray<u32> = new StaticArray<u32>(CAPTURE);
  count: i32 = 0;
  counts: NetworkStats = new NetworkStats();
  constructor(address: u64, maxPayload: u32) {
    super(address, maxPayload);
    this.frames = this.frameBuffers(CAPTURE);
  }
  write(frame: usize, length: u32): i32 {
    assert(length <= 14 + this.maxPayload, "the stack wrote a frame larger than the MTU");
    if (this.count == CAPTURE) return -28;
    memory.copy(this.frames[this.count], frame, length);
    this.lengths[this.count++] = length;
    return 0;
  }
  listen(listener: FrameListener): void {}
  stats(): NetworkStats {
    return this.counts;
  }
}

let device: CaptureDevice | null = null;
let stack: NetStack | null = null;
/** Where the host writes frames, strings and payloads: 17 pages hold the largest IPv4 datagram. */
const input = allocPages(17);
let config: NetConfig = new NetConfig();
let scenario: Scenario | null = null;

export function inputBuffer(): usize {
  return input;
}

/** A stack at `ip`/`prefix` with gateway `gw` (0: none) and MAC 02:00:00:00:00:01. */
export function setup(ip: u32, prefix: u32, gw: u32, mtu: u32): void {
  const c = new NetConfig();
  c.ip = ip;
  c.prefix = prefix;
  c.netmask = prefix == 0 ? 0 : U32.MAX_VALUE << (32 - prefix);
  c.gateway = gw;
  device = new CaptureDevice(0x0100_0000_0002, mtu);
  stack = new NetStack(device!, c);
}

export function feed(length: u32): void {
  stack!.onFrame(input, length);
}

export function counter(c: i32): u64 {
  return stack!.counters.get(c);
}

export function counterCount(): i32 {
  return Counter.COUNT;
}

export function outcomes(): i32 {
  return OUTCOMES;
}

export function nameOf(c: i32): string {
  return counterName(c);
}

export function sentCount(): i32 {
  return device!.count;
}

export function sentFrame(i: i32): usize {
  return device!.frames[i];
}

export function sentLength(i: i32): u32 {
  return device!.lengths[i];
}

export function clearSent(): void {
  device!.count = 0;
}

export function listenEcho(port: u32): i32 {
  return stack!.listenUdp(port, new UdpEcho(stack!));
}

/** Sends `length` bytes from the input buffer. */
export function sendUdp(srcPort: u32, dst: u32, dstPort: u32, length: u32): i32 {
  return stack!.sendUdp(srcPort, dst, dstPort, input, length);
}

export function sendEcho(dst: u32, id: u32, seq: u32, length: u32): i32 {
  return stack!.icmp.sendEcho(dst, id, seq, input, length);
}

export function arpLookup(ip: u32): i64 {
  return stack!.arp.lookup(ip);
}

/** Runs the scheduler (timers included) for `ns` of the host's virtual time. */
export function advance(ns: u64): void {
  sleep(ns);
}

export function checksumOf(at: usize, length: u32): u32 {
  return checksum(at, length);
}

/** Parses `ip=` and `gw=` values written in the input buffer (length -1: absent): the error, or null. */
export function parseConfig(ipLength: i32, gwLength: i32): string | null {
  const ip: string | null = ipLength < 0 ? null : String.UTF8.decodeUnsafe(input, ipLength);
  const gw: string | null = gwLength < 0 ? null : String.UTF8.decodeUnsafe(input + 2048, gwLength);
  config = parseNetConfig(ip, gw);
  return config.error;
}

export function configField(i: i32): u32 {
  if (i == 0) return config.ip;
  if (i == 1) return config.prefix;
  if (i == 2) return config.netmask;
  return config.gateway;
}

export function runPair(): bool {
  const s = new Scenario();
  scenario = s;
  return s.run();
}

export function pairLogLength(): i32 {
  return scenario!.log.length;
}

export function pairLog(i: i32): string {
  return scenario!.log[i];
}
