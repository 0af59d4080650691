// Who did it, for audit rows: OS user, host and process id (never anything from a claim).
import { hostname, userInfo } from "node:os";
import type { AuditEntry } from "../ports/audit-log.js";

let cached: AuditEntry["actor"] | undefined;

export function currentActor(): AuditEntry["actor"] {
  if (!cached) {
    let user = process.env.USER ?? "unknown";
    try {
      user = userInfo().username;
    } catch {
      // Containers may run as a uid with no passwd entry; $USER (or "unknown") is the best we have.
    }
    cached = { user, host: hostname(), pid: process.pid };
  }
  return cached;
}
