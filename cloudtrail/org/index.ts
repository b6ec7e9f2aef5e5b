/** Organisation-scale verification (issue 11): planner, shard verifier, reducer, local fan-out, state machine. */
export * from "./shards";
export * from "./planner";
export * from "./shard-verifier";
export * from "./reducer";
export * from "./fanout";
export * from "./s3-ports";
export * from "./state-machine";
export * from "./remote";
