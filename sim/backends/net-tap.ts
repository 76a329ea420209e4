// A bridge port to the host's network: a real Linux tap interface in a network
// namespace of its own, its frames carried as UDP datagrams on loopback. socat
// creates the tap here and relays it to a UDP socket of ours (the encapsulation
// QEMU's `-netdev dgram` speaks too); the tap is then moved into the namespace
// and given its address there (a moved interface loses both), so that nothing
// outside the namespace sees it. Needs root and a real-time simulator.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import type { Simulator } from "../simulator.ts";
import type { BridgePort, NetBridge } from "./net-bridge.ts";

export interface TapLink extends BridgePort {
  /** The network namespace holding the tap: `ip netns exec <namespace> ...` reaches the unikernels. */
  readonly namespace: string;
  readonly device: string;
  /** The tap's address and prefix length, as given ("10.77.0.1/24"). */
  readonly address: string;
  /** Frames each way. */
  readonly stats: { toHost: number; fromHost: number };
  /** One line on how to reach a unikernel at `ip` from the host (as root). */
  help(ip?: string): string;
  /** Removes the namespace, the tap and the relay; safe to call twice. */
  close(): void;
}

let opened = 0;

/** "tap:10.77.0.1/24" -> address and prefix, or a one-line error (the caller names the option). */
export function parseTapSpec(spec: string): { ip: string; prefix: number } {
  const m = /^tap:((?:\d{1,3}\.){3}\d{1,3})\/(\d{1,2})$/.exec(spec);
  const ip = m?.[1];
  const prefix = Number(m?.[2]);
  if (!ip || ip.split(".").some((o) => Number(o) > 255 || (o.length > 1 && o.startsWith("0"))) || !(prefix >= 8 && prefix <= 30)) {
    throw new Error(`expected tap:ADDRESS/LENGTH with an IPv4 address and a length from 8 to 30, like tap:10.77.0.1/24`);
  }
  return { ip, prefix };
}

function run(args: string[]): void {
  execFileSync(args[0], args.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
}

function exists(device: string): boolean {
  try {
    run(["ip", "link", "show", "dev", device]);
    return true;
  } catch {
    return false;
  }
}

function boundSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => resolve(s));
  });
}

/** Whether this process may create network namespaces (root, and not forbidden by a sandbox). */
export function namespacesAllowed(): boolean {
  const probe = `morgana-probe-${process.pid}`;
  try {
    run(["ip", "netns", "add", probe]);
    run(["ip", "netns", "del", probe]);
    return true;
  } catch {
    return false;
  }
}

/** Opens a tap `spec` ("tap:10.77.0.1/24") in a new namespace and plugs it into `bridge`; errors are one line, without the spec. */
export async function openTap(sim: Simulator, spec: string, bridge: NetBridge): Promise<TapLink> {
  const { ip, prefix } = parseTapSpec(spec);
  if (!sim.realTime) throw new Error("a tap bridge is a real peer: create the Simulator with realTime: true");
  const n = opened++;
  const namespace = `morgana-${process.pid}-${n}`;
  const device = `mg${process.pid % 1_000_000}t${n}`.slice(0, 15);
  const socket = await boundSocket();
  const probe = await boundSocket(); // a free port for socat's end
  const socatPort = probe.address().port;
  probe.close();
  const ourPort = socket.address().port;
  let socat: ChildProcess | undefined;
  let closed = false;
  let nsMade = false;
  const stats = { toHost: 0, fromHost: 0 };

  const close = () => {
    if (closed) return;
    closed = true;
    process.off("exit", close);
    bridge.detach(link);
    socat?.kill("SIGTERM");
    if (nsMade) {
      try {
        run(["ip", "netns", "del", namespace]);
      } catch {
        // already gone
      }
    }
    socket.close();
  };

  const link: TapLink = {
    namespace, device, address: `${ip}/${prefix}`, stats,
    help: (guest) => `reach it as root: ip netns exec ${namespace} ping ${guest ?? "<unikernel address>"}`,
    close,
    deliver: (frame) => {
      if (closed) return;
      stats.toHost++;
      socket.send(frame.slice(), socatPort, "127.0.0.1"); // the frame is lent for this call; the send completes later
    },
  };
  process.on("exit", close);

  try {
    let stderr = "";
    socat = spawn("socat", [
      "-b", "65536",
      `TUN,tun-type=tap,iff-no-pi,tun-name=${device}`,
      `UDP-DATAGRAM:127.0.0.1:${ourPort},bind=127.0.0.1:${socatPort}`,
    ], { stdio: ["ignore", "ignore", "pipe"] });
    socat.stderr?.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<void>((resolve) => socat!.once("exit", () => resolve()));
    let gone = false;
    void exited.then(() => (gone = true));
    for (let waited = 0; !exists(device); waited += 20) {
      if (gone || waited > 5000) throw new Error(`socat could not create tap ${device}: ${stderr.trim().split("\n")[0] || "no tap after 5 s"}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    run(["ip", "netns", "add", namespace]);
    nsMade = true;
    run(["ip", "link", "set", device, "netns", namespace]);
    run(["ip", "-n", namespace, "link", "set", "lo", "up"]);
    // Only IPv4 is spoken: keep the tap's IPv6 chatter off the bridge.
    run(["ip", "netns", "exec", namespace, "sh", "-c", `echo 1 > /proc/sys/net/ipv6/conf/${device}/disable_ipv6`]);
    run(["ip", "-n", namespace, "addr", "add", `${ip}/${prefix}`, "dev", device]);
    run(["ip", "-n", namespace, "link", "set", device, "up"]);
  } catch (err) {
    close();
    const e = err as Error & { stderr?: Buffer };
    throw new Error(e.stderr?.toString().trim().split("\n")[0] || e.message);
  }
  const send = bridge.attach(link);
  socket.on("message", (msg, from) => {
    if (from.port !== socatPort) return; // only the relay speaks to this socket
    stats.fromHost++;
    send(new Uint8Array(msg));
  });
  return link;
}
