// Named errors of the render library. Bad manifests are never thrown: they are render
// errors in the result (RenderFailed). What is thrown is a hub problem (a tool missing, a
// broken configuration), which start-up or the reactor's retry must see.

export class RenderToolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configured tool (helm, kubectl) is missing or does not run: the hub refuses to start. */
export class RenderToolUnavailableError extends RenderToolError {}

/** A chart repository could not be reached or answered nonsense: a later attempt may work. */
export class ChartRepositoryUnavailableError extends RenderToolError {}
