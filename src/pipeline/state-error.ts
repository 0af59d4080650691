import { ClaimflowError } from "../domain/errors.js";

/**
 * A lifecycle call in a state that does not allow it (an engine started twice, a source read by
 * two subscribers). A bug in the caller, never retried: two read loops over one source would
 * emit every claim twice into the same windows and the watermark.
 */
export class PipelineStateError extends ClaimflowError {
  readonly code = "PIPELINE_STATE";
  constructor(
    readonly component: "engine" | "source",
    readonly call: string,
    readonly state: string,
  ) {
    super(`${component}.${call}() is not allowed in state ${state}`);
  }
}
