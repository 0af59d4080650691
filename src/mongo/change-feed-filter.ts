// The server-side `$match` of the change stream and the catch-up query share one notion of
// "ours": ready claims (within EDI_GROUP_FILTER). Everything else is filtered on the server so
// our own `billed` marks and upstream drafts never cross the wire.
import type { Document } from "mongodb";
import type { FeedFilter } from "../ports/change-feed.js";

export function readyClaimQuery(filter: FeedFilter): Document {
  const q: Document = { status: "ready" };
  if (filter.groupFilter) q.group_id = { $regex: filter.groupFilter };
  return q;
}

export function changeStreamPipeline(filter: FeedFilter): Document[] {
  const ready: Document = {
    operationType: { $in: ["insert", "update", "replace"] },
    "fullDocument.status": "ready",
  };
  if (filter.groupFilter) ready["fullDocument.group_id"] = { $regex: filter.groupFilter };
  return [
    {
      $match: {
        $or: [
          ready,
          // An update whose document was deleted before the lookup: its group is unknown, so it
          // passes and the pipeline counts and skips it.
          { operationType: "update", fullDocument: null },
          { operationType: { $in: ["delete", "drop", "rename", "dropDatabase", "invalidate"] } },
        ],
      },
    },
  ];
}
