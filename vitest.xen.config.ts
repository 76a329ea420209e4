import { defineConfig } from "vitest/config";

// The real-Xen suite (`npm run test:xen`): every case boots QEMU, and two
// QEMUs would fight over the machine's 2 cores, so files run one at a time.
export default defineConfig({
  test: {
    include: ["test/xen/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 900_000,
  },
});
