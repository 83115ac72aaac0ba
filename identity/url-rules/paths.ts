// Paths as the URL rules compare them: one spelling per page, so `/Billing/`, `//Billing` and
// `/%42illing` find the same rule, and a path that could smuggle a host, a backslash or a control
// character into a redirect is refused before any rule sees it.

/** Why a path was refused: the router answers these with the friendly "not found" page and counts them. */
export type PathRefusal =
  'not_a_path' | 'backslash' | 'control_character' | 'encoded_slash' | 'bad_escape' | 'too_long';

export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: PathRefusal };

/** Longer paths are refused: no legacy page had one, and they only cost memory and time. */
export const MAX_PATH_LENGTH = 2048;

const HEX = '0123456789ABCDEF';
// RFC 3986 unreserved characters: their percent-escapes mean the same as the characters themselves.
const UNRESERVED = new Uint8Array(128);
// Characters a path segment may carry as they are (pchar minus `%`).
const PCHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-._~]/.test(ch)) UNRESERVED[c] = 1;
  if (/[A-Za-z0-9\-._~!$&'()*+,;=:@]/.test(ch)) PCHAR[c] = 1;
}

// Already canonical: no escapes, no empty or dot segments, no trailing slash (the common case).
const CANONICAL = /^(?:\/[A-Za-z0-9\-._~!$&'()*+,;=:@]+)+$/;
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** One segment in canonical form, or why it is refused. */
function normalizeSegment(raw: string): string | { refused: PathRefusal } {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return { refused: 'control_character' };
    if (code === 0x5c) return { refused: 'backslash' };
    if (code === 0x25) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return { refused: 'bad_escape' };
      const byte = hi * 16 + lo;
      if (byte < 0x20 || byte === 0x7f) return { refused: 'control_character' };
      if (byte === 0x2f || byte === 0x5c) return { refused: 'encoded_slash' };
      out +=
        byte < 128 && UNRESERVED[byte] ? String.fromCharCode(byte) : `%${HEX.charAt(hi)}${HEX.charAt(lo)}`;
      i += 2;
      continue;
    }
    if (code < 128) {
      out += PCHAR[code] ? raw.charAt(i) : `%${HEX.charAt(code >> 4)}${HEX.charAt(code & 15)}`;
      continue;
    }
    // Beyond ASCII: its UTF-8 bytes, percent-encoded, as a browser sends them.
    const point = raw.codePointAt(i)!;
    const char = String.fromCodePoint(point);
    try {
      out += encodeURIComponent(char);
    } catch {
      return { refused: 'bad_escape' }; // a lone surrogate
    }
    i += char.length - 1;
  }
  return out;
}

/**
 * The canonical spelling of a request path (no query string): escapes of unreserved characters
 * decoded and the rest upper-cased, `//` collapsed, `.` and `..` resolved, no trailing slash.
 * Case is kept: URLs are case-sensitive. Encoded slashes and backslashes (`%2F`, `%5C`), backslashes
 * and control characters are refused, so a captured value can never carry a host or a path break.
 */
export function normalizePath(raw: string): NormalizedPath {
  if (raw.length > MAX_PATH_LENGTH) return { ok: false, reason: 'too_long' };
  if (raw.charCodeAt(0) !== 0x2f) return { ok: false, reason: 'not_a_path' };
  if (isCanonicalPath(raw)) return { ok: true, path: raw };
  const out: string[] = [];
  for (const rawSegment of raw.split('/')) {
    if (rawSegment === '') continue;
    const segment = normalizeSegment(rawSegment);
    if (typeof segment !== 'string') return { ok: false, reason: segment.refused };
    if (segment === '.') continue;
    if (segment === '..') {
      out.pop();
      continue;
    }
    out.push(segment);
  }
  return { ok: true, path: `/${out.join('/')}` };
}

/** Whether a path is already in canonical form (no work to do, nothing to refuse). */
export function isCanonicalPath(path: string): boolean {
  return path === '/' || (CANONICAL.test(path) && !DOT_SEGMENT.test(path));
}

/** The segments of a normalised path (`/` has none). */
export function splitPath(path: string): string[] {
  return path === '/' ? [] : path.slice(1).split('/');
}

/** A captured segment as the value it stands for, or null when its escapes are not valid UTF-8. */
export function decodeSegment(segment: string): string | null {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
