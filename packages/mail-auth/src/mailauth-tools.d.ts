// mailauth 4.13.3 ships no types for its tools module; this is the part organizational-domain.ts uses.
declare module 'mailauth/lib/tools.js' {
  /** The entry of domainList aligned with fromDomain (RFC 7489 §3.1: same organizational domain unless strict), or false. */
  export function getAlignment(fromDomain: string, domainList: (string | { domain: string })[], options?: { strict?: boolean }): { domain: string } | false;
}
