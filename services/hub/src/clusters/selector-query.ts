import { ValidationError, validateLabelSelector, type LabelSelector } from '@flotilla/domain';
import { InvalidLabelSelectorTextError, parseLabelSelectorText } from '@flotilla/manifests';

/**
 * A `?selector=` query parameter in kubectl's syntax (the CLI's `-l` sends it as typed), as
 * a selector whose keys and values are valid labels. Every failure is a ValidationError
 * naming `selector` (or the bad part under it), so the client gets a 400 it can act on.
 */
export function parseSelectorQuery(text: string, field = 'selector'): LabelSelector {
  let parsed: ReturnType<typeof parseLabelSelectorText>;
  try {
    parsed = parseLabelSelectorText(text);
  } catch (error) {
    if (error instanceof InvalidLabelSelectorTextError) {
      throw new ValidationError(`${field}: ${error.problem} (at character ${error.position + 1})`, field, {
        cause: error,
      });
    }
    throw error;
  }
  // The parser builds fresh arrays and objects; the readonly marks are only its promise.
  const selector = parsed as LabelSelector;
  validateLabelSelector(selector, field);
  return selector;
}
