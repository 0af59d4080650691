// ClusterTime {t, i} is our driver-free spelling of a BSON Timestamp (seconds, increment).
import { Timestamp } from "mongodb";
import type { ClusterTime } from "../ports/change-feed.js";

export function toTimestamp(ct: ClusterTime): Timestamp {
  return new Timestamp({ t: ct.t, i: ct.i });
}

export function fromTimestamp(ts: Timestamp): ClusterTime {
  return { t: ts.t, i: ts.i };
}
