// RFC 6901 JSON pointers: the addressing of RFC 6902 patches and of ignored fields.

import { InvalidJsonPointerError } from './errors';
import { escapePointerToken } from './json';

/** The reference tokens of a pointer; "" (the whole document) has none. */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw new InvalidJsonPointerError(`JSON pointer ${JSON.stringify(pointer)} must be empty or start with "/"`);
  }
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token)) {
        throw new InvalidJsonPointerError(`JSON pointer ${JSON.stringify(pointer)} has a "~" not followed by 0 or 1`);
      }
      // ~1 first, then ~0: "~01" is the token "~1", not "/".
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

export function formatJsonPointer(tokens: readonly string[]): string {
  return tokens.map((token) => `/${escapePointerToken(token)}`).join('');
}

export function isValidJsonPointer(pointer: string): boolean {
  try {
    parseJsonPointer(pointer);
    return true;
  } catch {
    return false;
  }
}
