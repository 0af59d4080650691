// Errors of the 837 renderer. Both carry paths and rule texts only, never a document value.
import { ClaimflowError, formatIssues, type InputIssue } from "../domain/errors.js";

/**
 * A claim reached the renderer although `checkRenderable` would reject it (an identifier does not
 * fit its element, a required element would be empty). The renderer refuses rather than emit an
 * invalid file; callers should dead-letter claims with `checkRenderable` first.
 */
export class NotRenderableError extends ClaimflowError {
  readonly code = "NOT_RENDERABLE";
  constructor(
    readonly claimNumber: string | undefined,
    readonly issues: readonly InputIssue[],
  ) {
    super(
      `${claimNumber === undefined ? "batch" : `claim ${claimNumber}`} cannot be rendered: ${formatIssues(issues)}; ` +
        "run checkRenderable first and dead-letter what it reports",
    );
  }
}

/** The batch envelope itself is unusable (control number, batch id, creation time, client mix-up). */
export class RenderBatchError extends ClaimflowError {
  readonly code = "RENDER_BATCH_INVALID";
}
