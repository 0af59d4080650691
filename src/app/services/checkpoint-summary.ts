// How a stored stream position reads to an operator: the resume token abbreviated (it is opaque
// and long), the cluster time as an ISO instant. Shared by `token show`, `token reset` and
// `status` so the three always describe a checkpoint the same way.
import type { ClusterTime, ResumeToken } from "../../ports/change-feed.js";
import type { Checkpoint } from "../../ports/checkpoint-store.js";
import type { LeaseInfo } from "../../ports/lease.js";

export interface CheckpointSummary {
  readonly streamName: string;
  /** Abbreviated resume token, or null after a reset to a time / a clear. */
  readonly token: string | null;
  /** Cluster time as an ISO instant (second precision, as BSON timestamps are). */
  readonly clusterTime: string | null;
  /**
   * Where the cluster time comes from: stored beside the token, or read out of the token itself
   * (an idle stream's post-batch token is saved without one).
   */
  readonly clusterTimeFrom: "checkpoint" | "token" | null;
  /** The increment of the cluster time, kept so two events in one second stay distinct. */
  readonly clusterTimeIncrement: number | null;
  readonly updatedAt: string;
  readonly source: string;
}

export interface LeaseSummary {
  readonly holder: string;
  readonly expiresAt: string;
  /** True while the lease has not expired: a processor is (or was very recently) running. */
  readonly live: boolean;
}

const TOKEN_HEAD = 16;
const TOKEN_TAIL = 8;

/** `{ _data: "8263…" }` → `8263A1B2C3D4E5F6…0004`; other shapes are shown as compact JSON. */
export function abbreviateToken(token: ResumeToken): string {
  const data = token._data;
  const text = typeof data === "string" ? data : JSON.stringify(token);
  if (text.length <= TOKEN_HEAD + TOKEN_TAIL + 1) return text;
  return `${text.slice(0, TOKEN_HEAD)}…${text.slice(-TOKEN_TAIL)}`;
}

export function clusterTimeToDate(ct: ClusterTime): Date {
  return new Date(ct.t * 1000);
}

export function dateToClusterTime(at: Date): ClusterTime {
  return { t: Math.floor(at.getTime() / 1000), i: 0 };
}

/**
 * The cluster time a resume token carries. A token's `_data` is a KeyString whose first value
 * is the event's cluster time: type byte 0x82 (Timestamp), then seconds and increment as
 * big-endian 32-bit integers. Null for any other shape; the token stays opaque otherwise.
 */
export function clusterTimeFromToken(token: ResumeToken): ClusterTime | null {
  const data = token._data;
  if (typeof data !== "string" || !/^82[0-9A-Fa-f]{16}/.test(data)) return null;
  return { t: Number.parseInt(data.slice(2, 10), 16), i: Number.parseInt(data.slice(10, 18), 16) };
}

/** The checkpoint's position in time: stored, else read out of its token. */
export function checkpointClusterTime(cp: Checkpoint): ClusterTime | null {
  return cp.clusterTime ?? (cp.token ? clusterTimeFromToken(cp.token) : null);
}

export function summarizeCheckpoint(cp: Checkpoint): CheckpointSummary {
  const ct = checkpointClusterTime(cp);
  return {
    streamName: cp.streamName,
    token: cp.token ? abbreviateToken(cp.token) : null,
    clusterTime: ct ? clusterTimeToDate(ct).toISOString() : null,
    clusterTimeFrom: cp.clusterTime ? "checkpoint" : ct ? "token" : null,
    clusterTimeIncrement: ct ? ct.i : null,
    updatedAt: cp.updatedAt.toISOString(),
    source: cp.source,
  };
}

/** "Live" is the store's judgement on the server's clock (`$$NOW`), not this machine's. */
export function summarizeLease(lease: LeaseInfo): LeaseSummary {
  return {
    holder: lease.holder,
    expiresAt: lease.expiresAt.toISOString(),
    live: lease.live,
  };
}
