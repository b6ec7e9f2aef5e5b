// mocha root hook plugin (.mocharc.json "require"): see cleanup.ts.
import { runCleanups } from "./cleanup";

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await runCleanups();
  },
};
