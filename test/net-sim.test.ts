// The stack inside real unikernels on the simulator: two stacks back to back
// in one domain (test/apps/net-pair), and the configuration read from the
// domain's command line (test/apps/net-config).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../cli/build.ts";
import { Simulator } from "../sim/index.ts";

let pair: Uint8Array;
let config: Uint8Array;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "morgana-net-"));
  pair = await buildApp("test/apps/net-pair", join(dir, "net-pair.wasm"));
  config = await buildApp("test/apps/net-config", join(dir, "net-config.wasm"));
}, 300_000);

async function run(wasm: Uint8Array, cmdline = "") {
  const sim = new Simulator({ seed: 5 });
  const d = sim.createDomain({ name: "net", wasm, cmdline });
  await sim.run({ timeoutMs: 60_000 });
  return { sim, d };
}

describe("the network stack in a unikernel", () => {
  it("two stacks back to back: ARP, ping up to the MTU, UDP echo, ARP timeout and expiry", async () => {
    const { sim, d } = await run(pair);
    const lines = d.console.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([]);
    expect(lines).toContain("ok ping a->b 1472 bytes");
    expect(lines).toContain("ok ping b->a 1472 bytes");
    expect(lines).toContain("ok udp echo 1472 bytes");
    expect(lines).toContain("ok 3 ARP requests, 1 frame unresolved");
    expect(lines).toContain("net-pair: all checks passed");
    expect(d.result).toEqual({ kind: "exit", status: 0 });
    expect(sim.now()).toBeGreaterThanOrEqual(66n * 1_000_000_000n); // the 5 s timeout and the 61 s expiry ran on virtual time
  });

  it("reads ip= and gw= from the command line", async () => {
    const { d } = await run(config, "console=hvc0 ip=10.77.0.2/24 gw=10.77.0.1");
    expect(d.console).toBe("ip 10.77.0.2/24 netmask 255.255.255.0 gw 10.77.0.1\nmorgana: exit 0\n");
    expect(d.result).toEqual({ kind: "exit", status: 0 });
  });

  it("stops with a one-line reason on a malformed value", async () => {
    for (const [cmdline, reason] of [
      ["ip=10.77.0/24", "net: ip=10.77.0/24: expected an IPv4 address and prefix length, like ip=10.77.0.2/24"],
      ["ip=10.77.0.2/24 gw=10.99.0.1", "net: gw=10.99.0.1: not a host of 10.77.0.0/24"],
      ["", "net: no ip= on the command line (e.g. ip=10.77.0.2/24 gw=10.77.0.1)"],
    ]) {
      const { d } = await run(config, cmdline);
      expect(d.console).toBe(`morgana: panic: ${reason}\nmorgana: exit 255\n`);
      expect(d.result).toEqual({ kind: "exit", status: 255 });
    }
  });
});
