// The presign handler's bundle (E12); the bundler itself is shared by every handler.
import * as path from "node:path";
import { bundleHandler, HandlerBundle } from "../bundle";

export { bundleHandler, HandlerBundle } from "../bundle";

export const PRESIGN_HANDLER_ENTRY = path.join(__dirname, "index.ts");

export function bundlePresignHandler(): HandlerBundle {
  return bundleHandler(PRESIGN_HANDLER_ENTRY);
}
