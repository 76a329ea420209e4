// Unikernels as domUs beside a real Linux dom0 (scripts/xen-testbed): one
// dom0 boot runs every case in turn through `xl create`. A domU's console is
// the PV console ring, read by xenconsoled; its shutdown reason comes from xl.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO } from "../../cli/build.ts";
import { runDomUs, type DomUGuest, type XenResult } from "../../cli/run-xen.ts";
import { XENSTORE_PORTABLE_CONSOLE } from "../xenstore-portable.expected.ts";
import { appImage, bootMs, figure, watImage } from "./images.ts";

const texts = (r: XenResult) => r.console.map((l) => l.text);

/** examples/block's disk: 4 MiB of a known pattern; the app overwrites the first 256 KiB with its own. */
const BLOCK_BEFORE = Buffer.from(Array.from({ length: 4 << 20 }, (_, i) => (i * 13) ^ (i >> 8)));
const blockDisk = join(REPO, "build", "xen-test", "block.img");
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("domUs under the test bed's Linux dom0", () => {
  let results: Map<string, XenResult>;
  const result = (name: string) => results.get(name)!;

  beforeAll(async () => {
    const disk = join(REPO, "build", "xen-test", "disk.img");
    mkdirSync(dirname(disk), { recursive: true });
    writeFileSync(disk, Buffer.alloc(1 << 20));
    writeFileSync(blockDisk, BLOCK_BEFORE);
    const app = (name: string, dir: string, cmdline = "", timeoutSeconds = 30): Promise<DomUGuest> =>
      appImage(dir).then((kernel) => ({ name, kernel, timeoutSeconds, xl: { memoryMiB: 32, cmdline } }));
    const guests = [
      await app("hello", "examples/hello"),
      {
        ...(await app("devices", "test/apps/devices", "", 90)), files: [disk], check: join(REPO, "test", "xen", "devices-check.sh"),
        xl: { memoryMiB: 32, net: true, disk: "/guests/devices/disk.img" },
      },
      { ...(await app("xenstore-portable", "test/apps/xenstore-portable", "", 60)), xl: { memoryMiB: 32, net: true } },
      await app("status", "test/apps/crash", "status=7"),
      await app("panic", "test/apps/crash", "crash=panic"),
      await app("oob", "test/apps/crash", "crash=oob"),
      await app("evtchn-limit", "test/apps/evtchn", "pairs=600"),
      { ...(await app("chatty", "test/apps/chatty", "", 120)), stream: false },
      { ...(await app("block", "examples/block", "", 120)), files: [blockDisk], xl: { memoryMiB: 32, disk: "/guests/block/block.img" } },
      {
        ...(await app("ping", "examples/ping", "ip=10.0.0.2/24", 180)),
        check: join(REPO, "test", "fixtures", "ping-check.sh"),
        xl: { memoryMiB: 32, net: true, cmdline: "ip=10.0.0.2/24" },
      },
      { name: "probe-trap", kernel: await watImage("test/fixtures/abi-probe.wat"), timeoutSeconds: 30, xl: { memoryMiB: 32, cmdline: "case=o" } },
    ];
    const started = Date.now();
    results = await runDomUs(guests);
    figure("wall time: test bed (Linux dom0 boot + every domU case)", Date.now() - started, "ms");
  });

  it("boots examples/hello and prints through the PV console, read by xenconsoled", () => {
    const r = result("hello");
    expect(texts(r)[0]).toBe("Hello from Morgana");
    expect(texts(r).slice(1, 4).map((l) => l.replace(/[\d.]+ s$/, "T s"))).toEqual([
      "tick 1: system time T s", "tick 2: system time T s", "tick 3: system time T s",
    ]);
    expect(texts(r)[4]).toBe("morgana: exit 0");
    expect(r).toMatchObject({ status: 0, shutdown: "poweroff" });
    const created = r.serial.find((l) => l.text === "TESTBED ready")!;
    figure("time: dom0 ready to hello's first line (xl create of a domU)", r.console[0].at - created.at, "ms");
    figure("boot time: Xen's 'Freed init memory' to hello's first line (through the Linux dom0)", bootMs(r.serial, /^TESTBED hello: Hello from Morgana$/), "ms");
  });

  it("creates a domU with a vif on the bridge and a loop-backed disk: dom0 sees both backends Connected, hotplugged", () => {
    expect(texts(result("devices"))).toEqual(["vbd 51712: connected", expect.stringMatching(/^vif: MTU \d+, connected$/), "devices: all connected"]);
    // XenbusStateConnected (io/xenbus.h), and the hotplug scripts' word for success.
    expect(result("devices").check).toEqual(["vbd: state 4 hotplug-status connected", "vif: state 4 hotplug-status connected"]);
    expect(result("devices").shutdown).toBe("destroyed");
  });

  it("prints the portable xenstore and xenbus checks as the simulator does (test/xenstore-portable.expected.ts)", () => {
    expect(texts(result("xenstore-portable"))).toEqual(XENSTORE_PORTABLE_CONSOLE);
    expect(result("xenstore-portable")).toMatchObject({ status: 0, shutdown: "poweroff" });
  });

  it("ends with main's status: non-zero is a crash", () => {
    expect(texts(result("status"))).toEqual(["crash=none", "morgana: exit 7"]);
    expect(result("status")).toMatchObject({ status: 7, shutdown: "crash" });
  });

  it("ends a panic with its message, status 255 and a crash", () => {
    expect(texts(result("panic"))).toEqual(["crash=panic", "morgana: panic: the app gave up", "morgana: exit 255"]);
    expect(result("panic")).toMatchObject({ status: 255, shutdown: "crash" });
  });

  it("reports a trap through the stub's own console-ring writer, then crashes", () => {
    expect(texts(result("oob"))).toEqual(["crash=oob", "morgana: trap out-of-bounds"]);
    expect(result("oob")).toMatchObject({ status: null, shutdown: "crash" });
    expect(texts(result("probe-trap"))).toEqual(["morgana: trap out-of-bounds"]);
    expect(result("probe-trap")).toMatchObject({ status: null, shutdown: "crash" });
  });

  it("reports running out of ports (xl's default of 1,024) as an error, not a crash", () => {
    expect(texts(result("evtchn-limit"))).toEqual([expect.stringMatching(/^loopback \d+ failed$/), "morgana: exit 1"]);
    expect(result("evtchn-limit")).toMatchObject({ status: 1, shutdown: "crash" });
  });

  it("passes 5,000 lines through the 2 KiB console ring to xenconsoled complete and in order", () => {
    // dom0 summarises xenconsoled's log: Xen's serial console would drop bytes of a flood.
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${"-".repeat(i % 70)}|`);
    const text = [...lines, "morgana: exit 0", ""].join("\n");
    expect(result("chatty").log).toEqual({ lines: 5001, md5: createHash("md5").update(text).digest("hex") });
    expect(result("chatty").shutdown).toBe("poweroff");
  });

  it("runs examples/block against Linux's blkback on a loop device; dom0 finds the written bytes in the image", () => {
    const r = result("block");
    const after = Buffer.from(BLOCK_BEFORE);
    for (let i = 0; i < 256 * 1024; i++) after[i] = ((i * 7) ^ (i >> 9)) & 0xff;
    expect(texts(r)[0]).toMatch(/^disk 51712: 8192 sectors, 4096 KiB, sector size 512, physical \d+, read-write$/);
    expect(texts(r)[1]).toMatch(/^features: flush (yes|no), /);
    expect(texts(r).slice(2)).toEqual([
      "pattern: 256 KiB written and read back: OK",
      "flush: OK",
      `sha256: ${sha256(after)}`,
      "morgana: exit 0",
    ]);
    expect(r.files?.get("block.img")).toBe(sha256(after));
    expect(r).toMatchObject({ status: 0, shutdown: "poweroff" });
  });

  it("answers dom0's pings through netback and the bridge, and echoes its UDP datagram", () => {
    const r = result("ping");
    expect(texts(r)[0]).toMatch(/^ping: MAC [0-9a-f:]{17} IP 10\.0\.0\.2\/24 MTU \d+; UDP echo on port 7$/);
    expect(r.check).toEqual(["ping: 3 of 3 replies", "udp: morgana-udp"]);
    expect(r.shutdown).toBe("destroyed");
  });
});
