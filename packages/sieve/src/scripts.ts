/**
 * The spam rule the guides install as Dovecot's sieve_before, mirroring
 * apps/mailstore/src/delivery/junk.ts: the topmost X-Spam-Flag (the one our
 * MTA's scanner put on top; RFC 5260 §6 :index 1) is YES, case-insensitively.
 */
export const SPAM_TO_JUNK_SCRIPT = `require ["fileinto", "index"];
# Mail the content scanner flagged goes to Junk (the topmost X-Spam-Flag is the scanner's).
if header :index 1 :is "X-Spam-Flag" "YES" {
  fileinto "Junk";
}
`;
