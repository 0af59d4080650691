// The embedded single-node replica set behind `npm start` with no EDI_MONGODB_URI, so a
// newcomer sees claimflow work with nothing installed. mongodb-memory-server downloads a
// mongod on first use, or runs MONGOMS_SYSTEM_BINARY when set.
import { MongoMemoryReplSet } from "mongodb-memory-server";

export interface EmbeddedMongo {
  readonly uri: string;
  stop(): Promise<void>;
}

export async function startEmbeddedMongo(): Promise<EmbeddedMongo> {
  const rs = await MongoMemoryReplSet.create({
    // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and the
    // demo's mongod must outlive our graceful flush (we stop it last, ourselves).
    replSet: { count: 1, storageEngine: "wiredTiger", name: "claimflow-demo", spawn: { detached: true } },
    instanceOpts: [{ launchTimeout: 120_000 }],
  });
  await rs.waitUntilRunning();
  return {
    uri: rs.getUri(),
    stop: async () => {
      await rs.stop({ doCleanup: true, force: false });
    },
  };
}
