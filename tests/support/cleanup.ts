// Things a test module starts once per process and shares between test files (the organisation
// s3rver), stopped after the tests by mocha's root hook (tests/support/root-hooks.ts): once after
// the whole run in serial mode, after each file in parallel mode (mocha's root-hook semantics), so
// a server never outlives the tests that use it and a file never depends on which ran before it.
const cleanups = new Map<string, () => Promise<void>>();

/** Registers `stop` to run after the tests; a name registered again replaces the earlier entry. */
export function onceAfterTests(name: string, stop: () => Promise<void>): void {
  cleanups.set(name, stop);
}

export async function runCleanups(): Promise<void> {
  const stops = [...cleanups.values()];
  cleanups.clear();
  for (const stop of stops) await stop();
}
