// SRS (packages/address srs.ts) as this server applies it: which senders a forward rewrites and
// which recipients are our own SRS addresses, checked and turned back into the original sender.
import { isSrsAddress, SrsError, srsForward, srsReverse } from '@postern/address';
import { domainKey, domainOf, type Store } from '@postern/store';
import { myOrigin, type OriginSettings } from './origin.js';

export interface SenderRewritingSettings extends OriginSettings {
  /** srs.domain; unset: myorigin. */
  srsDomain?: string | undefined;
}

/** What an RCPT address is to SRS. */
export type SrsReversal =
  /** Not an SRS address of our SRS domain: resolve it as any other. */
  | { kind: 'none' }
  /** Ours and genuine: mail for it goes to `address` (the original sender, or the first forwarder's SRS0 address). */
  | { kind: 'reversed'; address: string }
  /** Ours in form but forged, expired or malformed: refused (never relayed on). */
  | { kind: 'refused'; reason: string };

export class SenderRewriting {
  constructor(
    private readonly store: Store,
    private readonly secrets: readonly string[],
    private readonly settings: () => SenderRewritingSettings,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The domain of our SRS addresses: srs.domain, else myorigin (one of our domains, its MX and SPF ours). */
  async domain(): Promise<string> {
    const settings = this.settings();
    return settings.srsDomain !== undefined ? domainKey(settings.srsDomain) : myOrigin(this.store, settings);
  }

  /**
   * The MAIL FROM a forward to another domain goes out with: SRS0 (SRS1 for an
   * SRS address of another forwarder) at our SRS domain, so that SPF at the next
   * hop checks our host. Unchanged: the null sender (RFC 5321 §4.5.5: a bounce
   * stays <>) and senders of our own domains, whose SPF names us already.
   */
  async forwardSender(sender: string): Promise<string> {
    if (sender === '' || !sender.includes('@')) return sender;
    const domain = await this.domain();
    const senderDomain = domainOf(sender);
    if (senderDomain === domain || (await this.store.getDomain(senderDomain)) !== null) return sender;
    return srsForward(sender, { secrets: this.secrets, domain, now: this.now });
  }

  /**
   * An RCPT of SRS0=…/SRS1=… at our SRS domain, verified (hash with any of the
   * secrets, SRS0's timestamp within 21 days). postsrsd reverses whatever the
   * sender (its recipient_canonical_maps lookup sees no sender), and so do we.
   */
  async reverse(address: string): Promise<SrsReversal> {
    const at = address.lastIndexOf('@');
    if (at <= 0 || !isSrsAddress(address.slice(0, at))) return { kind: 'none' };
    if (domainKey(address.slice(at + 1)) !== (await this.domain())) return { kind: 'none' };
    try {
      return { kind: 'reversed', address: srsReverse(address, { secrets: this.secrets, domain: await this.domain(), now: this.now }) };
    } catch (err) {
      if (err instanceof SrsError) return { kind: 'refused', reason: err.message.replace(`${address}: `, '') };
      throw err;
    }
  }
}
