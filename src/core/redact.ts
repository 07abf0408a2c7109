/**
 * Removes `user:pass@` from every URL-looking substring, so a message built
 * from a URL never carries its credentials (as got does for every URL it prints).
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1');
}
