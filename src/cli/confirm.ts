// Confirmation for destructive operator actions (token reset, dead-letter purge). On a terminal
// the operator types "yes"; `--yes` skips the question for scripts; with no terminal and no
// `--yes` the action is refused, because a script that forgot `--yes` must not hang or guess.
import { createInterface } from "node:readline/promises";
import { ActionCancelledError } from "../app/services/operator-errors.js";
import { UsageError } from "../domain/errors.js";

export interface ConfirmIo {
  readonly input: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly output: NodeJS.WritableStream;
}

const processIo: ConfirmIo = { input: process.stdin, output: process.stderr };

/**
 * Fails fast (UsageError, exit 2) when confirmation will be needed but nobody can give it;
 * commands call it before connecting, so a script missing `--yes` touches nothing.
 */
export function requireConfirmable(
  action: string,
  opts: { readonly yes: boolean; readonly io?: ConfirmIo },
): void {
  if (opts.yes) return;
  if ((opts.io ?? processIo).input.isTTY !== true) {
    throw new UsageError(`${action} needs confirmation: run it on a terminal, or pass --yes`);
  }
}

/**
 * Resolves when the action may go ahead; throws ActionCancelledError when the operator says no,
 * UsageError (exit 2) when there is nobody to ask and `--yes` was not given.
 * The question goes to stderr so `--json` output on stdout stays parseable.
 */
export async function confirmAction(
  action: string,
  question: string,
  opts: { readonly yes: boolean; readonly io?: ConfirmIo },
): Promise<void> {
  if (opts.yes) return;
  const io = opts.io ?? processIo;
  requireConfirmable(action, opts);
  const rl = createInterface({ input: io.input, output: io.output, terminal: true });
  // End of input (Ctrl-D) or Ctrl-C closes the interface; a pending question would otherwise
  // never settle, so closing counts as "no".
  const closed = new AbortController();
  rl.once("close", () => closed.abort());
  rl.once("SIGINT", () => rl.close());
  let answer: string;
  try {
    answer = await rl.question(`${question} Type "yes" to continue: `, { signal: closed.signal });
  } catch {
    throw new ActionCancelledError(action);
  } finally {
    rl.close();
  }
  if (answer.trim().toLowerCase() !== "yes") throw new ActionCancelledError(action);
}
