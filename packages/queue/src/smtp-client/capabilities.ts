import type { SmtpReply } from './reply.js';

/** The EHLO/LHLO keywords of a server (RFC 5321 §4.1.1.1), upper case, with their parameters. */
export class Capabilities {
  private readonly keywords = new Map<string, string[]>();

  /** From the 250 reply to EHLO/LHLO; the first line is the greeting, not a keyword. An empty set for HELO. */
  static fromHello(reply: SmtpReply | null): Capabilities {
    const capabilities = new Capabilities();
    for (const line of reply?.lines.slice(1) ?? []) {
      // Old servers still write "AUTH=LOGIN PLAIN" beside "AUTH LOGIN PLAIN".
      const [keyword = '', ...params] = line.trim().replace(/^AUTH=/i, 'AUTH ').split(/\s+/);
      if (keyword === '') continue;
      const key = keyword.toUpperCase();
      const known = capabilities.keywords.get(key) ?? [];
      capabilities.keywords.set(key, [...known, ...params.filter((param) => !known.includes(param))]);
    }
    return capabilities;
  }

  has(keyword: string): boolean {
    return this.keywords.has(keyword.toUpperCase());
  }

  params(keyword: string): string[] {
    return this.keywords.get(keyword.toUpperCase()) ?? [];
  }

  /** RFC 1870 §4: the SIZE limit in octets; null when not declared or 0 (no fixed limit). */
  get sizeLimit(): number | null {
    const value = Number(this.params('SIZE')[0]);
    return Number.isSafeInteger(value) && value > 0 ? value : null;
  }

  /** RFC 4954 §3: the SASL mechanisms the server offers, upper case. */
  get authMechanisms(): string[] {
    return this.params('AUTH').map((mechanism) => mechanism.toUpperCase());
  }

  list(): string[] {
    return [...this.keywords.keys()];
  }
}
