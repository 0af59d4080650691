// Demo traffic for the embedded replica set: an initial set of ready claims across several
// groups and clients (plus a few deliberately invalid ones that land in dead_letters), then a
// trickle of new claims and, now and then, a corrected version of a billed claim (re-billed).
import type { Db } from "mongodb";
import type { Logger } from "../observability/logger.js";
import { writeSynthetic } from "../seed/seed-database.js";
import { generate, makeInvalidClaims } from "../seed/synthetic.js";

export interface DemoFeederOptions {
  readonly initialClaims: number;
  readonly groups: number;
  readonly clients: number;
  readonly trickleEveryMs: number;
  readonly trickleClaims: number;
}

export class DemoFeeder {
  private timer: NodeJS.Timeout | undefined;
  private round = 0;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly opts: DemoFeederOptions,
  ) {}

  async seed(): Promise<void> {
    const now = new Date();
    const run = now.getTime().toString(36).toUpperCase();
    const data = generate({
      ...this.opts,
      claims: this.opts.initialClaims,
      now,
      seed: now.getTime() % 1e9,
      claimPrefix: `DEMO${run}`,
    });
    await writeSynthetic(this.db, data);
    const invalid = makeInvalidClaims(data.claims[0] as Record<string, unknown>, `BAD${run}`);
    await this.db.collection("claim_detail").insertMany(invalid);
    this.logger.info(
      {
        claims: data.claims.length,
        invalid: invalid.length,
        groups: this.opts.groups,
        clients: this.opts.clients,
      },
      "demo data seeded",
    );
  }

  start(): void {
    this.timer = setInterval(
      () => void this.tick().catch((err) => this.logger.warn({ err: String(err) }, "demo trickle failed")),
      this.opts.trickleEveryMs,
    );
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    this.round++;
    const now = new Date();
    const data = generate({
      claims: this.opts.trickleClaims,
      groups: this.opts.groups,
      clients: this.opts.clients,
      now,
      seed: now.getTime() % 1e9,
      claimPrefix: `LIVE${now.getTime().toString(36).toUpperCase()}`,
    });
    await writeSynthetic(this.db, data);
    // Every fifth round, upstream corrects a billed claim: a new version, ready again.
    if (this.round % 5 === 0) {
      await this.db
        .collection("claim_detail")
        .findOneAndUpdate(
          { status: "billed" },
          { $inc: { version: 1 }, $set: { status: "ready", updated_at: now } },
          { sort: { updated_at: 1 } },
        );
    }
  }
}
