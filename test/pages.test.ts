// The core's page allocator reuses freed runs (issue 12: blkfront's 16-page
// ring, freed page by page, used to be lost on every reconnect).
import { expect, it } from "vitest";
import { runApp } from "./helpers/apps.ts";

it("pages freed one by one serve contiguous allocations again", async () => {
  const run = await runApp("test/apps/pages");
  expect(run.result).toEqual({ kind: "exit", status: 0 });
  const lines = run.console.trim().split("\n");
  expect(lines.slice(0, 2)).toEqual(["16 pages freed one by one come back as a run: true, zeroed true", "merged both ways: true"]);
  expect(lines[2]).toBe("1000 cycles grew memory by 0 pages; free pages as before");
});
