// The xl layout the simulated toolstack writes, checked the way a frontend and a
// backend use it: who may read and write what, and what each side finds.
import { describe, expect, it } from "vitest";
import { Store } from "../sim/xenstore/store.ts";
import { Toolstack, vbdDevid } from "../sim/xenstore/toolstack.ts";
import { TestClient } from "./xenstored-client.ts";

const UUID = "6c5d5a4e-1111-2222-3333-444455556666";

function setup() {
  const store = new Store();
  const toolstack = new Toolstack(store);
  toolstack.initDom0();
  toolstack.createDomain({
    domid: 4, name: "web", uuid: UUID, maxMemKiB: 131072, vcpus: 2, storeMfn: 0x1234n, storePort: 1,
    console: { mfn: 0x1235n, port: 2 },
  });
  const guest = new TestClient(store, 4);
  store.introduceDomain(4, guest.connection);
  return { store, toolstack, dom0: new TestClient(store, 0), guest };
}

describe("toolstack layout", () => {
  it("numbers virtual disks as libxl does", () => {
    expect(vbdDevid("xvda")).toBe(51712);
    expect(vbdDevid("xvdb")).toBe(51728);
    expect(vbdDevid("xvda1")).toBe(51713);
    expect(vbdDevid("xvdq")).toBe((1 << 28) | (16 << 8));
    expect(vbdDevid("xvdaa")).toBe((1 << 28) | (26 << 8));
    expect(vbdDevid("768")).toBe(768);
    expect(() => vbdDevid("sda")).toThrow('unsupported virtual disk name "sda"');
  });

  it("writes the domain's home, readable by the domain, with its writable corners", () => {
    const { guest, dom0 } = setup();
    expect(guest.read("name")).toBe("web");
    expect(guest.read("domid")).toBe("4");
    expect(guest.read("store/ring-ref")).toBe(String(0x1234));
    expect(guest.read("store/port")).toBe("1");
    expect(guest.read("memory/static-max")).toBe("131072");
    expect(guest.directory("cpu")).toEqual(["0", "1"]);
    expect(guest.read("cpu/1/availability")).toBe("online");
    expect(guest.read("vm")).toBe(`/vm/${UUID}`);
    expect(dom0.read(`/vm/${UUID}/name`)).toBe("web");
    expect(dom0.read("/libxl/4/type")).toBe("pv");
    expect(guest.getPerms("/local/domain/4")).toEqual(["n0", "r4"]);
    expect(guest.error(() => guest.write("name", "x"))).toBe("EACCES");
    guest.write("control/shutdown", "");
    guest.write("data/anything", "1");
    guest.write("control/feature-poweroff", "1");
    expect(guest.error(() => guest.read("/libxl/4/type"))).toBe("EACCES");
  });

  it("adds a disk: frontend for the guest, backend under dom0, each readable by the other side", () => {
    const { toolstack, guest, dom0 } = setup();
    const devid = toolstack.addVbd(4, { vdev: "xvda", target: "/images/disk.img" });
    const front = `device/vbd/${devid}`;
    const back = `/local/domain/0/backend/vbd/4/${devid}`;
    expect(guest.read(`${front}/backend`)).toBe(back);
    expect(guest.read(`${front}/backend-id`)).toBe("0");
    expect(guest.read(`${front}/state`)).toBe("1");
    expect(guest.read(`${front}/virtual-device`)).toBe("51712");
    expect(guest.read(`${front}/device-type`)).toBe("disk");
    expect(guest.getPerms(front)).toEqual(["n4", "r0"]);
    expect(guest.getPerms(`${front}/state`)).toEqual(["n4", "r0"]);
    // The frontend publishes its ring and moves its state.
    guest.write(`${front}/ring-ref`, "8");
    guest.write(`${front}/state`, "3");
    // The backend side: readable by the guest, written only by the backend domain.
    expect(guest.read(`${back}/state`)).toBe("1");
    expect(guest.read(`${back}/frontend`)).toBe(`/local/domain/4/${front}`);
    expect(guest.read(`${back}/frontend-id`)).toBe("4");
    expect(guest.read(`${back}/params`)).toBe("/images/disk.img");
    expect(guest.read(`${back}/mode`)).toBe("w");
    expect(guest.error(() => guest.write(`${back}/state`, "4"))).toBe("EACCES");
    expect(dom0.getPerms(back)).toEqual(["n0", "r4"]);
    expect(dom0.read(`/libxl/4/device/vbd/${devid}/backend`)).toBe(back);
  });

  it("adds a network interface with its MAC, bridge and read-only MTU", () => {
    const { toolstack, guest } = setup();
    toolstack.addVif(4, { devid: 0, mac: "00:16:3e:01:02:03" });
    expect(guest.read("device/vif/0/mac")).toBe("00:16:3e:01:02:03");
    expect(guest.read("device/vif/0/handle")).toBe("0");
    expect(guest.read("device/vif/0/mtu")).toBe("1500");
    expect(guest.error(() => guest.write("device/vif/0/mtu", "9000"))).toBe("EACCES");
    const back = guest.read("device/vif/0/backend");
    expect(back).toBe("/local/domain/0/backend/vif/4/0");
    expect(guest.read(`${back}/bridge`)).toBe("xenbr0");
    expect(guest.read(`${back}/hotplug-status`)).toBe("");
    expect(guest.read(`${back}/script`)).toBe("/etc/xen/scripts/vif-bridge");
  });

  it("writes console 0 read-only for the guest", () => {
    const { guest, dom0 } = setup();
    expect(guest.read("console/ring-ref")).toBe(String(0x1235));
    expect(guest.read("console/port")).toBe("2");
    expect(guest.read("console/type")).toBe("xenconsoled");
    expect(guest.error(() => guest.write("console/port", "9"))).toBe("EACCES");
    expect(dom0.read("/local/domain/0/backend/console/4/0/protocol")).toBe("vt100");
  });

  it("removes everything on destroy", () => {
    const { toolstack, dom0, store } = setup();
    toolstack.addVbd(4, { vdev: "xvdb", target: "/images/b.img", readonly: true });
    toolstack.addVif(4, { devid: 1, mac: "00:16:3e:00:00:01" });
    toolstack.destroyDomain(4, UUID);
    for (const path of ["/local/domain/4", `/vm/${UUID}`, "/libxl/4", "/local/domain/0/backend/vbd/4/51728", "/local/domain/0/backend/vif/4/1"]) {
      expect(dom0.error(() => dom0.read(path))).toBe("ENOENT");
    }
    // Emptied parents go too (libxl__xs_path_cleanup), but not what others still use.
    for (const path of ["/local/domain/0/backend/console/4", "/local/domain/0/backend/vbd/4", "/local/domain/0/backend"]) {
      expect(store.nodes.has(path)).toBe(false);
    }
    expect(dom0.read("/local/domain/0/name")).toBe("Domain-0");
  });
});
