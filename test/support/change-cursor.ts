// Reading a change cursor in tests: until it is idle, or until the next event arrives.
import type { ChangeCursor, ChangeEvent } from "../../src/ports/change-feed.js";

/** Reads until the cursor answers null (idle), returning what came. */
export async function drain(cursor: ChangeCursor): Promise<ChangeEvent[]> {
  const out: ChangeEvent[] = [];
  for (;;) {
    const ev = await cursor.tryNext();
    if (ev === null) return out;
    out.push(ev);
  }
}

/** The next event, waiting through idle (null) answers; throws after `ms`. */
export async function nextEvent(cursor: ChangeCursor, ms = 15_000): Promise<ChangeEvent> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ev = await cursor.tryNext();
    if (ev !== null) return ev;
  }
  throw new Error(`no change event within ${ms} ms`);
}
