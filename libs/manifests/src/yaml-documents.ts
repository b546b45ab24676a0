// YAML as Kubernetes reads it. kubectl and the API machinery parse YAML 1.1 (go-yaml v2 via
// sigs.k8s.io/yaml), so `on`/`yes` are booleans and `0755` is octal here too; but go-yaml
// leaves unquoted dates and `1:30` as strings, so the 1.1 timestamp and sexagesimal tags
// are dropped. Aliases are capped by the parser (billion laughs).

import { parseAllDocuments, type Tags } from 'yaml';

import { nonJsonReason, type JsonValue } from './json';

export type ParsedDocument =
  | { readonly index: number; readonly empty: true }
  | { readonly index: number; readonly empty: false; readonly value: JsonValue }
  | { readonly index: number; readonly empty: false; readonly error: string };

const dropGoYamlIncompatibleTags = (tags: Tags): Tags =>
  tags.filter(
    (tag) =>
      typeof tag === 'string' ||
      (tag.tag !== 'tag:yaml.org,2002:timestamp' && (tag as { format?: string }).format !== 'TIME'),
  );

/** Every document of a multi-document YAML text, in order, each parsed on its own so one bad document does not hide the others' errors. */
export function parseYamlDocuments(text: string): ParsedDocument[] {
  const documents = parseAllDocuments(text, {
    version: '1.1',
    uniqueKeys: true,
    customTags: dropGoYamlIncompatibleTags,
    prettyErrors: true,
  });
  // A text made only of comments and separators parses to an empty list (or an EmptyStream).
  if (!Array.isArray(documents)) return [];
  return documents.map((document, index): ParsedDocument => {
    if (document.errors.length > 0) {
      return { index, empty: false, error: document.errors.map((error) => error.message.split('\n')[0]).join('; ') };
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      return { index, empty: false, error: (error as Error).message };
    }
    if (value === null || value === undefined) return { index, empty: true };
    const reason = nonJsonReason(value);
    if (reason) return { index, empty: false, error: `not plain JSON data: ${reason}` };
    return { index, empty: false, value: value as JsonValue };
  });
}
