// The generated layouts are what gcc says today: regenerate and compare.
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { generate } from "../scripts/gen-layouts.js";

const repo = join(import.meta.dirname, "..");

describe("generated layouts", () => {
  it("match a fresh run of scripts/gen-layouts.js against /usr/include/xen", () => {
    const out = mkdtempSync(join(tmpdir(), "morgana-layouts-"));
    const written: string[] = generate(out);
    expect(written.length).toBeGreaterThan(10);
    for (const path of written) {
      const rel = relative(out, path);
      expect(readFileSync(join(repo, rel), "utf8"), `${rel} differs: run npm run gen`).toBe(readFileSync(path, "utf8"));
    }
  });
});
