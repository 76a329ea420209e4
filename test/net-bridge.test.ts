// The simulated bridge (sim/backends/net-bridge.ts) as a learning switch:
// where each frame goes as addresses are learned, move, expire with their
// port or with a table full of new sources, and what it drops.
import { describe, expect, it } from "vitest";
import { type BridgePort, NetBridge } from "../sim/backends/net-bridge.ts";
import { ethernet, mac } from "./net-model.ts";

/** A port that keeps a copy of every frame it is lent, and sends through the bridge. */
class Station implements BridgePort {
  readonly got: Uint8Array[] = [];
  readonly send: (frame: Uint8Array) => void;

  constructor(readonly bridge: NetBridge) {
    this.send = bridge.attach(this);
  }

  deliver(frame: Uint8Array): void {
    this.got.push(frame.slice());
  }

  take(): number {
    return this.got.splice(0).length;
  }
}

const BROADCAST = mac("ff:ff:ff:ff:ff:ff");
const X = mac("02:00:00:00:00:0a");
const Y = mac("02:00:00:00:00:0b");
const Z = mac("02:00:00:00:00:0c");

function frame(to: Uint8Array, from: Uint8Array): Uint8Array {
  return ethernet(to, from, 0x88b5, new Uint8Array(50).fill(7));
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}

/** Frames each station received since the last look. */
function arrivals(...stations: Station[]): number[] {
  return stations.map((s) => s.take());
}

describe("the simulated bridge", () => {
  it("floods unknown and group destinations, then switches to the port a source was learned on", () => {
    const bridge = new NetBridge();
    const [a, b, c] = [new Station(bridge), new Station(bridge), new Station(bridge)];
    a.send(frame(Y, X));
    expect(arrivals(a, b, c)).toEqual([0, 1, 1]);
    b.send(frame(X, Y)); // X was learned behind a
    expect(arrivals(a, b, c)).toEqual([1, 0, 0]);
    for (let i = 0; i < 3; i++) a.send(frame(Y, X));
    expect(arrivals(a, b, c)).toEqual([0, 3, 0]);
    a.send(frame(BROADCAST, X));
    a.send(frame(mac("01:00:5e:00:00:01"), X));
    expect(arrivals(a, b, c)).toEqual([0, 2, 2]);
    expect(bridge.stats).toEqual({ forwarded: 4, flooded: 3, dropped: 0 });
  });

  it("learns a station again when it moves, and drops runts and frames back to their own port", () => {
    const bridge = new NetBridge();
    const [a, b, c] = [new Station(bridge), new Station(bridge), new Station(bridge)];
    a.send(frame(Y, X));
    c.send(frame(X, Z));
    expect(arrivals(a, b, c)).toEqual([1, 1, 1]);
    b.send(frame(Z, X)); // X moved behind b
    c.send(frame(X, Z));
    expect(arrivals(a, b, c)).toEqual([0, 1, 1]);
    b.send(frame(X, Z)); // Z moves to b; X is behind b too: dropped
    expect(arrivals(a, b, c)).toEqual([0, 0, 0]);
    b.send(new Uint8Array(13));
    expect(arrivals(a, b, c)).toEqual([0, 0, 0]);
    expect(bridge.stats.dropped).toBe(2);
  });

  it("forgets a detached port's addresses, ignores its sends until it is attached again", () => {
    const bridge = new NetBridge();
    const [a, b, c] = [new Station(bridge), new Station(bridge), new Station(bridge)];
    b.send(frame(BROADCAST, Y));
    expect(arrivals(a, b, c)).toEqual([1, 0, 1]);
    a.send(frame(Y, X));
    expect(arrivals(a, b, c)).toEqual([0, 1, 0]);
    bridge.detach(b);
    a.send(frame(Y, X)); // Y unknown again: flooded to c alone
    b.send(frame(X, Y));
    expect(arrivals(a, b, c)).toEqual([0, 0, 1]);
    bridge.attach(b);
    b.send(frame(X, Y));
    a.send(frame(Y, X));
    expect(arrivals(a, b, c)).toEqual([1, 1, 0]);
  });

  it("restarts learning when 4,096 addresses are known and a new source comes", () => {
    const bridge = new NetBridge();
    const [a, b, c] = [new Station(bridge), new Station(bridge), new Station(bridge)];
    b.send(frame(BROADCAST, Y));
    for (let i = 1; i < 4096; i++) a.send(frame(BROADCAST, mac(`02:00:00:01:${hex(i >> 8)}:${hex(i & 0xff)}`)));
    arrivals(a, b, c);
    c.send(frame(Y, Z)); // Z is the 4,097th: the table restarts with it alone
    a.send(frame(Y, X)); // so Y is unknown
    expect(arrivals(a, b, c)).toEqual([1, 2, 1]);
    b.send(frame(Z, Y));
    expect(arrivals(a, b, c)).toEqual([0, 0, 1]);
  });
});
