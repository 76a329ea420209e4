#!/usr/bin/env node
// Bundles cli/ and sim/ into one ESM file, dist/morgana.mjs, so the command
// starts fast. The compilers (assemblyscript, binaryen) stay external packages.
import { build } from "esbuild";
import { chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(repo, "dist", "morgana.mjs");
await build({
  entryPoints: [join(repo, "cli", "morgana.ts")],
  outfile,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["assemblyscript", "assemblyscript/*", "binaryen", "wabt"],
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "warning",
});
chmodSync(outfile, 0o755);
