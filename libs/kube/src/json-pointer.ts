// RFC 6901 JSON pointers are @flotilla/manifests' (one parser for patches and ignored fields);
// what is kube's own is the `*` segment (any key or index) of ignored-field rules.
import { formatJsonPointer, parseJsonPointer } from '@flotilla/manifests';

export function joinPointer(base: string, token: string | number): string {
  return `${base}${formatJsonPointer([String(token)])}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Removes every location the pointer matches, in place. */
export function removePointer(root: unknown, pointer: string): void {
  const tokens = parseJsonPointer(pointer);
  if (tokens.length === 0) return;
  const walk = (node: unknown, i: number): void => {
    const token = tokens[i]!;
    const last = i === tokens.length - 1;
    const keys: string[] =
      token === '*'
        ? Array.isArray(node)
          ? node.map((_, k) => String(k))
          : isObject(node)
            ? Object.keys(node)
            : []
        : [token];
    // Deleting array items shifts indexes: go backwards, and mark instead of splice so a
    // wildcard over a list leaves the other positions comparable.
    for (const key of keys.reverse()) {
      if (Array.isArray(node)) {
        const idx = Number(key);
        if (!Number.isInteger(idx) || idx < 0 || idx >= node.length) continue;
        if (last) node[idx] = null;
        else walk(node[idx], i + 1);
      } else if (isObject(node)) {
        if (!(key in node)) continue;
        if (last) delete node[key];
        else walk(node[key], i + 1);
      }
    }
  };
  walk(root, 0);
}
