#!/usr/bin/env node
// Generates runtime/xen/*.ts (AssemblyScript accessors) and sim/xen/*.ts
// (TypeScript field tables) from scripts/layout-schema.js, and the constants
// both hosts share (runtime/abi.ts, sim/abi.ts, boot/abi.h, the xenstore keys)
// from scripts/abi-schema.js. gcc compiles a probe against /usr/include/xen
// (Debian's libxen-dev) and prints every size, offset and constant, so no
// offset or Xen number is ever typed by hand.
//
// Usage: node scripts/gen-layouts.js [--out DIR]   (DIR defaults to the repo)
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import schema from "./layout-schema.js";
import abi from "./abi-schema.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const XEN_INCLUDE = "/usr/include/xen";
const SCALARS = { u8: 1, u16: 2, u32: 4, u64: 8, i8: 1, i16: 2, i32: 4, i64: 8 };
// Identifiers AssemblyScript and TypeScript cannot take as function names.
const RESERVED = new Set(["in", "out_", "delete", "function", "class", "new", "default"]);

function parseType(t) {
  const array = t.endsWith("[]");
  const base = array ? t.slice(0, -2) : t;
  if (base.startsWith("@")) return { kind: "struct", name: base.slice(1), array };
  // A XEN_GUEST_HANDLE is a one-pointer struct in C: a u64 address to Morgana.
  if (base === "handle") return { kind: "scalar", name: "u64", array, handle: true };
  if (!(base in SCALARS)) throw new Error(`layout-schema: unknown type ${t}`);
  return { kind: "scalar", name: base, array };
}

function probeSource() {
  // Morgana speaks the newest interface of the installed headers (vcpu_time_info.flags needs > 4.6).
  const lines = ["#define __XEN_INTERFACE_VERSION__ __XEN_LATEST_INTERFACE_VERSION__", "#include <stdint.h>", "#include <stddef.h>", "#include <stdio.h>"];
  for (const header of Object.keys(schema)) lines.push(`#include <xen/${header}>`);
  for (const { prelude } of Object.values(schema)) if (prelude) lines.push(prelude);
  lines.push("int main(void) {");
  for (const name of abiXenNames()) lines.push(`  printf("A ${name} %lld\\n", (long long)(${name}));`);
  for (const [header, { constants, structs }] of Object.entries(schema)) {
    for (const c of constants) {
      lines.push(`  printf("C ${header} ${c} %lld\\n", (long long)(${c}));`);
    }
    for (const [name, fields] of Object.entries(structs)) {
      lines.push(`  printf("S ${header} ${name} %zu\\n", sizeof(struct ${name}));`);
      for (const field of Object.keys(fields)) {
        const member = `((struct ${name} *)0)->${field}`;
        const type = parseType(fields[field]);
        const scalar = type.kind === "scalar" && !type.array && !type.handle;
        const signed = scalar ? `(int)((__typeof__(${member}))-1 < 0)` : "0";
        lines.push(
          `  printf("F ${name} ${field} %zu %zu %d\\n", offsetof(struct ${name}, ${field}), sizeof(${member}), ${signed});`,
        );
      }
    }
  }
  lines.push("  return 0;", "}");
  return lines.join("\n") + "\n";
}

/** Compiles and runs the probe; returns { headers: { constants, structs } keyed by header, xenNumbers: name -> value }. */
function probe() {
  if (!existsSync(join(XEN_INCLUDE, "xen.h"))) {
    throw new Error(`${XEN_INCLUDE}/xen.h not found: install Debian's libxen-dev`);
  }
  const dir = mkdtempSync(join(tmpdir(), "morgana-layout-"));
  try {
    writeFileSync(join(dir, "probe.c"), probeSource());
    execFileSync("gcc", ["-std=gnu11", "-o", join(dir, "probe"), join(dir, "probe.c")], { stdio: "pipe" });
    return parseProbe(execFileSync(join(dir, "probe"), { encoding: "utf8" }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseProbe(text) {
  const out = {};
  const xenNumbers = new Map();
  const sizes = {};
  const fieldFacts = {};
  for (const line of text.trim().split("\n")) {
    const [tag, a, b, c, d, e] = line.split(" ");
    if (tag === "A") xenNumbers.set(a, Number(b));
    if (tag === "C") (out[a] ??= { constants: [], structs: [] }).constants.push({ name: b, value: BigInt(c), type: schema[a].constantType });
    if (tag === "S") {
      sizes[b] = Number(c);
      (out[a] ??= { constants: [], structs: [] }).structs.push(b);
    }
    if (tag === "F") (fieldFacts[a] ??= {})[b] = { offset: Number(c), size: Number(d), signed: e === "1" };
  }
  const headers = {};
  for (const [header, { constants, structs }] of Object.entries(out)) {
    headers[header] = {
      constants,
      structs: structs.map((name) => describeStruct(name, sizes, fieldFacts[name] ?? {})),
    };
  }
  return { headers, xenNumbers };
}

/** Checks each schema type against what gcc measured and returns the layout. */
function describeStruct(name, sizes, facts) {
  const header = Object.keys(schema).find((h) => name in schema[h].structs);
  const fields = Object.entries(schema[header].structs[name]).map(([path, typeText]) => {
    const type = parseType(typeText);
    const { offset, size, signed } = facts[path];
    const elementSize = type.kind === "scalar" ? SCALARS[type.name] : sizes[type.name];
    if (elementSize === undefined) throw new Error(`layout-schema: ${name}.${path}: unknown struct ${type.name}`);
    const length = type.array ? size / elementSize : 1;
    if (!Number.isInteger(length) || (!type.array && size !== elementSize)) {
      throw new Error(`layout-schema: ${name}.${path} is ${size} bytes in C, not ${typeText}`);
    }
    if (type.kind === "scalar" && !type.array && !type.handle && signed !== type.name.startsWith("i")) {
      throw new Error(`layout-schema: ${name}.${path} signedness differs from C (${typeText})`);
    }
    return { path, id: path.replaceAll(".", "_"), type, offset, elementSize, length };
  });
  return { name, size: sizes[name], fields };
}

const BANNER = (header) =>
  `// Generated by scripts/gen-layouts.js from <xen/${header}> (libxen-dev); do not edit.\n`;

function fnName(id) {
  return RESERVED.has(id) ? `${id}_` : id;
}

function asConstant({ name, value, type: declared }) {
  const type = declared ?? (value < 0n ? "i32" : value > 0xffffffffn ? "u64" : "u32");
  return `export const ${name}: ${type} = ${value};\n`;
}

function asStruct({ name, size, fields }) {
  let s = `\nexport namespace ${name} {\n  export const SIZE: usize = ${size};\n`;
  for (const f of fields) {
    s += `  export const OFFSET_${f.id}: usize = ${f.offset};\n`;
    const fn = fnName(f.id);
    if (f.type.array || f.type.kind === "struct") {
      if (f.type.array) s += `  export const LENGTH_${f.id}: u32 = ${f.length};\n`;
      const index = f.type.array ? `, i: u32` : "";
      const plus = f.type.array ? ` + <usize>i * ${f.elementSize}` : "";
      s += `  // @ts-ignore: decorator\n  @inline export function ${fn}(p: usize${index}): usize { return p + ${f.offset}${plus}; }\n`;
    } else {
      const t = f.type.name;
      s += `  // @ts-ignore: decorator\n  @inline export function ${fn}(p: usize): ${t} { return load<${t}>(p, ${f.offset}); }\n`;
      s += `  // @ts-ignore: decorator\n  @inline export function set_${f.id}(p: usize, v: ${t}): void { store<${t}>(p, v, ${f.offset}); }\n`;
    }
  }
  return s + "}\n";
}

function tsConstant({ name, value }) {
  const big = value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER);
  return `export const ${name} = ${value}${big ? "n" : ""};\n`;
}

function tsStruct({ name, size, fields }) {
  let s = `\nexport const ${name} = {\n  SIZE: ${size},\n`;
  for (const f of fields) {
    const parts = [`offset: ${f.offset}`, `type: "${f.type.kind === "struct" ? "struct" : f.type.name}"`];
    if (f.type.kind === "struct" || f.type.array) parts.push(`size: ${f.elementSize}`);
    if (f.type.array) parts.push(`length: ${f.length}`);
    s += `  ${f.id}: { ${parts.join(", ")} },\n`;
  }
  return s + "} as const;\n";
}

/** Writes every generated file under `root`; returns the list of paths written. */
export function generate(root = repo) {
  const { headers, xenNumbers } = probe();
  const written = [];
  for (const [header, { constants, structs }] of Object.entries(headers)) {
    const base = header.replace(/\.h$/, ".ts");
    const files = [
      [join(root, "runtime/xen", base), BANNER(header) + constants.map(asConstant).join("") + structs.map(asStruct).join("")],
      [join(root, "sim/xen", base), BANNER(header) + constants.map(tsConstant).join("") + structs.map(tsStruct).join("")],
    ];
    for (const [path, text] of files) written.push(write(path, text));
  }
  for (const [path, text] of abiFiles(root, xenNumbers)) written.push(write(path, text));
  return written;
}

function write(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

// --- scripts/abi-schema.js: the constants both hosts share ---------------------------------------

const ABI_BANNER = "Generated by scripts/gen-layouts.js from scripts/abi-schema.js; do not edit.";
/** Offsets in hex, small counts and values in decimal. */
const hex = (n) => (n >= 0x100 ? `0x${n.toString(16)}` : String(n));

/** Xen names the allow-list uses: gcc gives their values. */
function abiXenNames() {
  return Object.entries(abi.hypercalls).flatMap(([op, cmds]) => [op, ...(cmds ?? [])]);
}

const TS_TYPES = { i32: "number", i64: "bigint" };

function abiFiles(root, xenNumbers) {
  const number = (name) => {
    if (!xenNumbers.has(name)) throw new Error(`abi-schema: ${name} not found in Xen's headers`);
    return xenNumbers.get(name);
  };
  const doc = (comment) => `/** ${comment}. */\n`;
  // AssemblyScript: the host area and values, re-exported by runtime/platform.ts.
  let as = `// ${ABI_BANNER}\n// The host area of linear memory and the values of its fields (runtime/platform.ts).\n`;
  for (const [name, value, comment] of abi.hostArea) as += doc(comment) + `export const ${name}: usize = ${hex(value)};\n`;
  for (const [name, value, comment] of abi.values) as += doc(comment) + `export const ${name}: u32 = ${value};\n`;
  // TypeScript: the same, the import and export lists, the allow-list.
  let ts = `// ${ABI_BANNER}\n// The simulator's side of runtime/platform.ts: the host area, the imports it provides, the exports it calls.\n`;
  for (const [name, value, comment] of [...abi.hostArea, ...abi.values]) ts += doc(comment) + `export const ${name} = ${hex(value)};\n`;
  const list = (names) => names.map((n) => `"${n}"`).join(", ");
  ts += `\n/** Every function import the platform ABI declares, with its wasm signature. */\n`;
  ts += `export const PLATFORM_IMPORTS = {\n`;
  for (const [name, [params, result]] of Object.entries(abi.imports)) {
    ts += `  ${name}: { params: [${list(params)}], result: ${result ? `"${result}"` : "null"} },\n`;
  }
  ts += `} as const;\nexport const PLATFORM_FUNCTIONS = [${list(Object.keys(abi.imports))}] as const;\n`;
  ts += `\n/** Exports the simulator calls: the entry and Binaryen Asyncify's controls. */\n`;
  ts += `export const REQUIRED_EXPORTS = [${list(Object.keys(abi.exports))}] as const;\n`;
  ts += `\nexport interface GuestExports {\n`;
  for (const [name, [params, result]] of Object.entries(abi.exports)) {
    ts += `  ${name}(${params.map((p, i) => `a${i}: ${TS_TYPES[p]}`).join(", ")}): ${result ? TS_TYPES[result] : "void"};\n`;
  }
  ts += `}\n\n/** The hypercall allow-list both hosts apply first (boot/abi.h hypercall_allowed): op -> allowed sub-ops, null for none. */\n`;
  ts += `export const HYPERCALLS: ReadonlyMap<number, ReadonlySet<number> | null> = new Map<number, ReadonlySet<number> | null>([\n`;
  for (const [op, cmds] of Object.entries(abi.hypercalls)) {
    ts += `  [${number(op)}, ${cmds ? `new Set([${cmds.map(number).join(", ")}])` : "null"}], // ${op}${cmds ? `: ${cmds.join(", ")}` : ""}\n`;
  }
  ts += `]);\n`;
  // C: the host area, the values, the allow-list by name.
  let c = `/* ${ABI_BANNER} */\n/* The host area of linear memory, its values and the hypercall allow-list (runtime/platform.ts). */\n`;
  c += `#ifndef MORGANA_ABI_H\n#define MORGANA_ABI_H\n\n#include <stdbool.h>\n#include <stdint.h>\n`;
  for (const header of ["xen.h", "event_channel.h", "grant_table.h", "sched.h", "vcpu.h", "version.h"]) c += `#include <xen/${header}>\n`;
  c += "\n";
  for (const [name, value, comment] of [...abi.hostArea, ...abi.values]) c += `#define ${name} ${hex(value)}ul /* ${comment} */\n`;
  c += `\n/* The allow-list both hosts apply first (sim/abi.ts HYPERCALLS). */\nstatic inline bool hypercall_allowed(uint64_t op, uint64_t cmd) {\n  switch (op) {\n`;
  for (const [op, cmds] of Object.entries(abi.hypercalls)) {
    c += `  case ${op}: return ${cmds ? cmds.map((n) => `cmd == ${n}`).join(" || ") : "(void)cmd, true"};\n`;
  }
  c += `  default: return false;\n  }\n}\n\n#endif\n`;
  // xenstore keys, per protocol: AssemblyScript namespaces and TypeScript objects.
  let asKeys = `// ${ABI_BANNER}\n// xenstore keys of the device protocols, the same text on the frontend and the backend side.\n`;
  let tsKeys = asKeys;
  for (const [group, keys] of Object.entries(abi.keys)) {
    asKeys += `\nexport namespace ${group}_keys {\n`;
    tsKeys += `\nexport const ${group}_keys = {\n`;
    for (const [name, text] of Object.entries(keys)) {
      asKeys += `  export const ${name}: string = "${text}";\n`;
      tsKeys += `  ${name}: "${text}",\n`;
    }
    asKeys += `}\n`;
    tsKeys += `} as const;\n`;
  }
  return [
    [join(root, "runtime/abi.ts"), as],
    [join(root, "sim/abi.ts"), ts],
    [join(root, "boot/abi.h"), c],
    [join(root, "runtime/xen/io/keys.ts"), asKeys],
    [join(root, "sim/xen/io/keys.ts"), tsKeys],
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--out");
  try {
    const written = generate(at > 0 ? resolve(process.argv[at + 1]) : repo);
    console.log(`gen-layouts: wrote ${written.length} files`);
  } catch (err) {
    console.error(`gen-layouts: ${err.message}`);
    process.exit(1);
  }
}
