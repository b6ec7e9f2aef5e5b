// mocha root hook plugin (.mocharc.js "require"): see cleanup.ts.
import { runCleanups } from "./cleanup";

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await runCleanups();
  },
};
