import {
  formatLabelSelector,
  InvalidLabelSelectorTextError,
  parseLabelSelectorText,
  type LabelSelector,
} from '@flotilla/manifests';
import { UsageError } from '../errors';

/**
 * The command line's view of kubectl's selector syntax: the parser is @flotilla/manifests'
 * (the hub's `?selector=` reads the same one); here a syntax error becomes a usage error.
 * Whether keys and values are valid labels is the hub's rule, named in its 400.
 */
export type { LabelSelector, LabelSelectorRequirement } from '@flotilla/manifests';

export function parseSelector(text: string): LabelSelector {
  try {
    return parseLabelSelectorText(text);
  } catch (error) {
    if (error instanceof InvalidLabelSelectorTextError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

/** The selector in the syntax parseSelector reads; the empty one is spelled out for people. */
export function formatSelector(selector: LabelSelector): string {
  // An empty selector matches every cluster, as metav1.LabelSelector does.
  return formatLabelSelector(selector) || '<every cluster>';
}
