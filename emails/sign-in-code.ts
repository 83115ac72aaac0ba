/**
 * A sign-in code as patients read it: two groups of three ("ABC-123"), whatever form it arrives in.
 * Codes of another length are shown as given.
 */
export function displayCode(code: string): string {
  const bare = code.toUpperCase().replace(/[\s-]/g, '');
  return bare.length === 6 ? `${bare.slice(0, 3)}-${bare.slice(3)}` : code;
}
