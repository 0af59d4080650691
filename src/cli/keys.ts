// `claimflow keys status | rotate`: which master keys seal the stored 837 content, and re-wrapping
// every batch's data key with EDI_CONTENT_KEY. Key ids only are printed, never key material.
import type { Command } from "commander";
import { ClaimflowError } from "../domain/errors.js";
import { withOperatorContext } from "./context.js";
import { keyValues, printJson, println, table } from "./format.js";

interface JsonOption {
  json?: boolean;
}

/** Some batches could not be rotated; the report was printed, the exit code says so. */
class RotationIncompleteError extends ClaimflowError {
  readonly code = "ROTATION_INCOMPLETE";
}

export function registerKeys(program: Command): void {
  const keys = program
    .command("keys")
    .description("content keys of the 837 text stored in edi_batches (EDI_CONTENT_KEY)");

  keys
    .command("status")
    .description("batches per key id (current, previous, unknown), plain-text and purged batches")
    .option("--json", "print JSON")
    .action(async (opts: JsonOption) => {
      await withOperatorContext(async (ctx) => {
        const { contentInventory } = await import("../crypto/content-inventory.js");
        const inv = await contentInventory(ctx.db, ctx.config.contentKeys);
        if (opts.json) return printJson(inv);
        println(
          keyValues([
            [
              "encryption",
              inv.encrypts ? `on (EDI_CONTENT_KEY id ${inv.currentKeyId})` : "OFF (EDI_CONTENT_KEY not set)",
            ],
            ["plain-text batches", String(inv.plain)],
            ["purged batches", String(inv.purged)],
          ]),
        );
        if (inv.byKey.length > 0) {
          println();
          println(
            table(
              ["key id", "batches", "key"],
              inv.byKey.map((k) => [
                k.keyId,
                String(k.batches),
                k.key === "unknown" ? "UNKNOWN (not configured: these batches cannot be read)" : k.key,
              ]),
            ),
          );
        }
      });
    });

  keys
    .command("rotate")
    .description(
      "re-wrap every batch's data key with EDI_CONTENT_KEY and seal plain-text batches (audited); " +
        "old keys must be in EDI_CONTENT_KEY_PREVIOUS",
    )
    .option("--json", "print JSON")
    .action(async (opts: JsonOption) => {
      await withOperatorContext(async (ctx) => {
        const { rotateKeys } = await import("../app/services/keys.js");
        const report = await rotateKeys({
          db: ctx.db,
          keyring: ctx.config.contentKeys,
          clock: ctx.clock,
          audit: ctx.ports.audit,
        });
        if (opts.json) printJson(report);
        else {
          println(
            keyValues([
              ["current key", report.currentKeyId],
              [
                "re-wrapped",
                `${report.rewrapped} batch(es)${report.fromKeyIds.length > 0 ? ` from ${report.fromKeyIds.join(", ")}` : ""}`,
              ],
              ["sealed", `${report.sealed} plain-text batch(es)`],
              ["not rotated", String(report.unreadable)],
              ["audit", "key_rotation recorded in audit_log"],
            ]),
          );
          for (const u of report.unreadableSample) {
            println(`  ${u.batchId}: ${u.keyId ? `key id ${u.keyId}, ` : ""}${u.reason}`);
          }
        }
        if (report.unreadable > 0) {
          throw new RotationIncompleteError(
            `${report.unreadable} batch(es) could not be rotated; add their keys to EDI_CONTENT_KEY_PREVIOUS ` +
              "and run keys rotate again (see `claimflow keys status`)",
          );
        }
      });
    });
}
