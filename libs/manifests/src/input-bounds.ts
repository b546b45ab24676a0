// Bounds an application file must keep before any parser works on it: a linear scan of the
// text (or an iterative walk of a parsed JSON value) that refuses what would make a parser
// or a validator recurse deeply or expand without end (nested brackets, deep indentation,
// compact nested sequences, alias bombs). Real application files are far inside them.

import type { ApplicationSpecIssue } from './errors';

export const applicationFileBounds = {
  /** Nested flow collections (`[`, `{`), counted over the whole text. */
  maxFlowDepth: 32,
  /** Column of a line's content after its indentation and compact `- ` / `? ` / `: ` indicators. */
  maxIndentColumns: 200,
  /** Alias references (`*name`). */
  maxAliases: 100,
  /** Depth of a parsed value (objects and arrays). */
  maxValueDepth: 32,
  /** Objects, arrays and scalars of a parsed value. */
  maxValueNodes: 100_000,
} as const;

const issue = (message: string): ApplicationSpecIssue[] => [{ path: '', message }];

/** Why the YAML or JSON text is out of bounds, or undefined. Linear in the text. */
export function textBoundsIssues(text: string): ApplicationSpecIssue[] | undefined {
  const b = applicationFileBounds;
  let depth = 0;
  let aliases = 0;
  let lineStart = true;
  let column = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 /* \n */) {
      lineStart = true;
      column = 0;
      continue;
    }
    if (lineStart) {
      // Indentation, and block indicators followed by a space: each opens a deeper level.
      const next = text.charCodeAt(i + 1);
      if (c === 32 || c === 9 || ((c === 45 || c === 63 || c === 58) && (next === 32 || next === 9))) {
        column += 1;
        if (column > b.maxIndentColumns)
          return issue(
            `nested too deeply: content past column ${b.maxIndentColumns} (indentation and "- " indicators); an application file is far shallower`,
          );
        continue;
      }
      lineStart = false;
    }
    if (c === 91 /* [ */ || c === 123 /* { */) {
      depth += 1;
      if (depth > b.maxFlowDepth)
        return issue(`nested too deeply: more than ${b.maxFlowDepth} nested brackets ([ or {)`);
    } else if ((c === 93 /* ] */ || c === 125) /* } */ && depth > 0) {
      depth -= 1;
    } else if (c === 42 /* * */) {
      const before = i === 0 ? 32 : text.charCodeAt(i - 1);
      if (before === 32 || before === 9 || before === 10 || before === 44 || before === 91 || before === 123) {
        aliases += 1;
        if (aliases > b.maxAliases) return issue(`more than ${b.maxAliases} YAML aliases (*name)`);
      }
    }
  }
  return undefined;
}

/** Why the parsed value is out of bounds (depth, size), or undefined. Iterative: no recursion on hostile input. */
export function valueBoundsIssues(value: unknown): ApplicationSpecIssue[] | undefined {
  const b = applicationFileBounds;
  const stack: Array<[unknown, number]> = [[value, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    nodes += 1;
    if (nodes > b.maxValueNodes)
      return issue(`more than ${b.maxValueNodes} values; an application file is far smaller`);
    if (current === null || typeof current !== 'object') continue;
    if (depth > b.maxValueDepth) return issue(`nested too deeply: more than ${b.maxValueDepth} levels`);
    for (const inner of Array.isArray(current) ? current : Object.values(current)) stack.push([inner, depth + 1]);
  }
  return undefined;
}
