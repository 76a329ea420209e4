// examples/ping on the real-time simulator, bridged to a real Linux tap in a
// network namespace this test creates and removes: Linux's own ping and a
// socat UDP client reach the unikernel. Only 10.77.0.0/24 inside that
// namespace is used. Skips (with a message) only where namespaces are not
// allowed, and never under CI=true.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Simulator, type Domain } from "../sim/index.ts";
import { plugXenstore } from "../sim/xenstore/plug.ts";
import { NetBridge } from "../sim/backends/net-bridge.ts";
import { attachNetwork } from "../sim/backends/netback.ts";
import { namespacesAllowed, openTap, parseTapSpec, type TapLink } from "../sim/backends/net-tap.ts";
import { appWasm } from "./helpers/apps.ts";

const exec = promisify(execFile);
const allowed = namespacesAllowed();
if (!allowed && process.env.CI === "true") throw new Error("network namespaces are required under CI=true (run as root with iproute2)");
if (!allowed) console.warn("netback-tap: skipped: this process may not create network namespaces (needs root and `ip netns`)");

const GUEST = "10.77.0.2";

describe.skipIf(!allowed)("examples/ping through a tap bridge", () => {
  let sim: Simulator;
  let domain: Domain;
  let tap: TapLink;
  let running: Promise<void>;

  beforeAll(async () => {
    const wasm = await appWasm("examples/ping");
    sim = new Simulator({ realTime: true });
    const xs = plugXenstore(sim);
    const bridge = new NetBridge();
    domain = sim.createDomain({ name: "ping", wasm, cmdline: `ip=${GUEST}/24`, memoryMiB: 16 });
    attachNetwork(sim, xs, domain, { bridge });
    tap = await openTap(sim, "tap:10.77.0.1/24", bridge);
    running = sim.run({ timeoutMs: 150_000 });
    for (let i = 0; i < 200 && !domain.console.includes("UDP echo on port 7"); i++) await new Promise((r) => setTimeout(r, 25));
  }, 180_000);

  afterAll(async () => {
    domain?.end({ kind: "exit", status: 0 });
    await running;
    tap?.close();
    expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toContain(tap.namespace);
  });

  const inNs = (cmd: string[], input?: string) => {
    const p = exec("ip", ["netns", "exec", tap.namespace, ...cmd], { timeout: 30_000 });
    if (input !== undefined) p.child.stdin!.end(input);
    return p;
  };

  it("prints its MAC and IP", () => {
    expect(domain.console).toMatch(/^ping: MAC 00:16:3e:00:01:00 IP 10\.77\.0\.2\/24 MTU 1500; UDP echo on port 7$/m);
    expect(tap.help(GUEST)).toBe(`reach it as root: ip netns exec ${tap.namespace} ping ${GUEST}`);
  });

  it("answers Linux's ping: 100 packets at -i 0.05, then sizes up to the MTU, 0% loss", async () => {
    const { stdout } = await inNs(["ping", "-n", "-q", "-c", "100", "-i", "0.05", "-W", "2", GUEST]);
    expect(stdout).toMatch(/100 packets transmitted, 100 received, 0% packet loss/);
    for (const size of [0, 1, 1000, 1472]) {
      const { stdout: out } = await inNs(["ping", "-n", "-q", "-M", "do", "-c", "10", "-i", "0.05", "-W", "2", "-s", String(size), GUEST]);
      expect(out, `ping -s ${size}`).toMatch(/10 packets transmitted, 10 received, 0% packet loss/);
    }
  }, 60_000);

  it("echoes UDP datagrams from socat on port 7", async () => {
    for (const text of ["hello morgana\n", "x".repeat(1400) + "\n"]) {
      const { stdout } = await inNs(["socat", "-T", "2", "-", `UDP:${GUEST}:7`], text);
      expect(stdout).toBe(text);
    }
    expect(tap.stats.toHost).toBeGreaterThan(0);
  }, 30_000);

  it("refuses a malformed tap spec in one line", () => {
    expect(() => parseTapSpec("tap:10.77.0/24")).toThrow(/^expected tap:ADDRESS\/LENGTH with an IPv4 address/);
    expect(() => parseTapSpec("tap:10.77.0.1/31")).toThrow(/length from 8 to 30/);
  });
});
