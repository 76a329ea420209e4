// The stack's side of one Network device: our addresses, the transmit buffer
// every layer builds into, and the counters. Frame buffers come from the
// page allocator once, at start: sending and receiving allocate nothing.
import { Network } from "../runtime/devices";
import { allocPages, PAGE_SIZE } from "../runtime/core/pages";
import { panic } from "../runtime/core/panic";
import { NetConfig } from "./config";
import { Counter, Counters } from "./counters";
import { ETH_HLEN, ETH_ZLEN, formatMac, isGroupMac, loadMac } from "./ethernet";

/** IPv4's minimum MTU (RFC 791): every host must take 68-byte datagrams. */
const MIN_MTU: u32 = 68;
/** The largest IPv4 datagram. */
const MAX_MTU: u32 = 65535;

export class Link {
  mac: u64;
  /** The device's MTU: the largest Ethernet payload (IP datagram) it sends or takes. */
  mtu: u32;
  /** The largest frame: header and MTU. */
  frameCapacity: u32;
  /** Where every packet is built before `transmit`; the device copies it before write returns. */
  txFrame: usize;

  constructor(public device: Network, public config: NetConfig, public counters: Counters) {
    const mtu = device.mtu();
    if (mtu < MIN_MTU || mtu > MAX_MTU) panic(`net: the device's MTU ${mtu} is outside [${MIN_MTU}, ${MAX_MTU}]`);
    this.mtu = mtu;
    this.frameCapacity = ETH_HLEN + mtu;
    this.txFrame = allocFrame(this.frameCapacity);
    device.mac(this.txFrame);
    this.mac = loadMac(this.txFrame);
    if (isGroupMac(this.mac) || this.mac == 0) panic(`net: the device's MAC ${formatMac(this.mac)} is not a unicast address`);
  }

  /** Sends a frame built in `frame`, padded to ETH_ZLEN (the buffer holds at least that): 0 or a negative errno. */
  transmit(frame: usize, length: u32): i32 {
    if (length < ETH_ZLEN) {
      memory.fill(frame + length, 0, ETH_ZLEN - length);
      length = ETH_ZLEN;
    }
    const rc = this.device.write(frame, length);
    this.counters.count(rc < 0 ? Counter.ETH_TX_ERRORS : Counter.ETH_TX_FRAMES);
    return rc;
  }
}

/** A frame buffer of `capacity` bytes (at least ETH_ZLEN), from whole pages. */
export function allocFrame(capacity: u32): usize {
  return allocPages(<u32>((<usize>capacity + PAGE_SIZE - 1) / PAGE_SIZE));
}
