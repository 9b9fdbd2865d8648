// Fuzzes `postern start`'s POP3 listener (RFC 1939) before and after login; the process keeps answering every protocol.
import { PASSWORD, sendAndSettle, USER } from './harness.js';
import { describeLineFuzz } from './line-protocol-fuzz.js';
import { pop3Command } from './pop3-inputs.js';

describeLineFuzz({
  title: 'POP3',
  listener: 'pop3',
  seedSalt: 0x9093,
  command: pop3Command,
  prelude: async (client, logIn) => {
    if (!logIn) return;
    await sendAndSettle(client, `USER ${USER}\r\nPASS ${PASSWORD}\r\n`, /^(?:[^\r\n]*\r\n){2}$/);
  },
});
