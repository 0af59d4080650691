// CPU time and memory of local processes from /proc (Linux): the processor child's, and the
// mongod's when the bench started it (found by the port in its command line).
import { readdirSync, readFileSync } from "node:fs";

/** USER_HZ: 100 on every Linux ABI Node supports. */
const CLOCK_TICKS = 100;

/** User + system CPU seconds of `pid` so far; undefined when it is gone or /proc is missing. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th there.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** A /proc/<pid>/status field in kB, as bytes (VmHWM: peak RSS, VmRSS: current RSS). */
export function statusBytes(pid: number, field: "VmHWM" | "VmRSS"): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Every local process as its pid and command line (argv); empty without /proc. */
function processes(): { pid: number; argv: string[] }[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const out: { pid: number; argv: string[] }[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      out.push({ pid: Number(e), argv: readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0") });
    } catch {
      // gone since readdir
    }
  }
  return out;
}

/** Pids of local mongod processes listening on one of `ports` (from their command lines). */
export function mongodPids(ports: readonly number[]): number[] {
  return processes()
    .filter(({ argv }) => {
      if (!argv[0]?.includes("mongod")) return false;
      const i = argv.indexOf("--port");
      return i >= 0 && ports.includes(Number(argv[i + 1]));
    })
    .map((p) => p.pid);
}

/** `name=value` variables of a process's environment; empty when unreadable. */
function environOf(pid: number): Map<string, string> {
  const env = new Map<string, string>();
  try {
    for (const kv of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
      const i = kv.indexOf("=");
      if (i > 0) env.set(kv.slice(0, i), kv.slice(i + 1));
    }
  } catch {
    // gone, or not ours to read
  }
  return env;
}

/**
 * The wineserver of each mongod that runs under Wine: the process of the same WINEPREFIX whose
 * command is `wineserver`. Under Wine a share of every MongoDB operation's cost (its system
 * calls, synchronisation, socket I/O) is spent in wineserver, not in mongod's own process; it
 * belongs in mongod's CPU, not in "others". Empty for a native mongod.
 */
export function wineserverPids(mongods: readonly number[]): number[] {
  const prefixes = new Set<string>();
  for (const pid of mongods) {
    const prefix = environOf(pid).get("WINEPREFIX");
    if (prefix) prefixes.add(prefix);
  }
  if (prefixes.size === 0) return [];
  return processes()
    .filter(({ pid, argv }) => {
      if (!/(^|\/)wineserver(64)?$/.test(argv[0] ?? "")) return false;
      const prefix = environOf(pid).get("WINEPREFIX");
      return prefix !== undefined && prefixes.has(prefix);
    })
    .map((p) => p.pid);
}

/** Ports of a mongodb:// URI's hosts. */
export function uriPorts(uri: string): number[] {
  const hosts = /^mongodb:\/\/(?:[^@/]*@)?([^/?]+)/.exec(uri)?.[1] ?? "";
  return hosts
    .split(",")
    .map((h) => Number(h.split(":")[1] ?? 27017))
    .filter((p) => Number.isInteger(p));
}

/** Busy CPU seconds of the whole machine so far (all cores; /proc/stat minus idle and iowait). */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const t = line.trim().split(/\s+/).slice(1).map(Number);
    const total = t.reduce((a, b) => a + b, 0);
    return (total - (t[3] ?? 0) - (t[4] ?? 0)) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** CPU seconds spent, over an interval, by the machine, the mongods, and this process. */
export class CpuMeter {
  private readonly machine0 = machineBusySeconds();
  private readonly mongod0: number | undefined;
  private readonly self0 = process.cpuUsage();

  constructor(private readonly mongods: readonly number[]) {
    this.mongod0 = this.mongodNow();
  }

  private mongodNow(): number | undefined {
    if (this.mongods.length === 0) return undefined;
    let sum = 0;
    for (const pid of this.mongods) {
      const s = cpuSeconds(pid);
      if (s === undefined) return undefined;
      sum += s;
    }
    return sum;
  }

  /** Seconds since construction; `others` is the machine's busy time minus every part we know. */
  read(knownOthers = 0): { machine?: number; mongod?: number; self: number; others?: number } {
    const machineNow = machineBusySeconds();
    const mongodNow = this.mongodNow();
    const u = process.cpuUsage(this.self0);
    const self = (u.user + u.system) / 1e6;
    const machine =
      machineNow !== undefined && this.machine0 !== undefined ? machineNow - this.machine0 : undefined;
    const mongod =
      mongodNow !== undefined && this.mongod0 !== undefined ? mongodNow - this.mongod0 : undefined;
    const others = machine !== undefined ? machine - (mongod ?? 0) - self - knownOthers : undefined;
    return {
      ...(machine !== undefined ? { machine } : {}),
      ...(mongod !== undefined ? { mongod } : {}),
      self,
      ...(others !== undefined ? { others } : {}),
    };
  }
}
