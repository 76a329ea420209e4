// xenstored's Unix socket: the same xsd_sockmsg stream as a ring, for dom0 tools.
// Debian's xenstore-utils reach it with XENSTORED_PATH=<path>. Socket clients are
// privileged, as in xenstored; one that breaks the protocol is disconnected.
import { lstatSync, unlinkSync } from "node:fs";
import { type Server, type Socket, createServer } from "node:net";
import { Connection, type IntroduceHook } from "./connection.ts";
import type { Store } from "./store.ts";
import { MessageReader, XsProtocolError } from "./wire.ts";

/** What `morgana run --xenstore-socket PATH` prints: how to point Xen's tools at the simulation. */
export function xenstoreSocketHelp(path: string): string {
  return `xenstore: listening on ${path} (the simulation runs in real time)\n` +
    `xenstore: try  XENSTORED_PATH=${path} xenstore-ls -p   (Debian's xenstore-utils)\n`;
}

export class XenstoreSocketServer {
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly path: string) {}

  /** Listens on `path`, replacing a stale socket left there; `onIntroduce` serves XS_INTRODUCE. */
  static listen(store: Store, path: string, onIntroduce?: IntroduceHook): Promise<XenstoreSocketServer> {
    try {
      if (lstatSync(path).isSocket()) unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const server = createServer();
    const self = new XenstoreSocketServer(server, path);
    server.on("connection", (socket) => self.serve(store, socket, onIntroduce));
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        resolve(self);
      });
    });
  }

  private serve(store: Store, socket: Socket, onIntroduce?: IntroduceHook): void {
    this.sockets.add(socket);
    const reader = new MessageReader();
    const connection = new Connection(store, { domid: 0, privileged: true }, (m) => socket.write(m), onIntroduce);
    socket.on("data", (chunk) => {
      reader.push(chunk);
      try {
        for (let msg = reader.next(); msg; msg = reader.next()) connection.handle(msg);
      } catch (err) {
        if (!(err instanceof XsProtocolError)) throw err;
        socket.destroy();
      }
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      connection.shutdown();
      this.sockets.delete(socket);
    });
  }

  /** Number of clients connected now. */
  get clients(): number {
    return this.sockets.size;
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
