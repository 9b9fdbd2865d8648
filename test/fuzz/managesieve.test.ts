// Fuzzes `postern start`'s ManageSieve listener (RFC 5804) before and after login; the process keeps answering every protocol.
import { PASSWORD, sendAndSettle, USER } from './harness.js';
import { describeLineFuzz } from './line-protocol-fuzz.js';
import { manageSieveCommand } from './managesieve-inputs.js';

const login = Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64');

describeLineFuzz({
  title: 'ManageSieve',
  listener: 'managesieve',
  seedSalt: 0x4190,
  command: manageSieveCommand,
  prelude: async (client, logIn) => {
    // The greeting is several lines: wait for its OK before logging in.
    await sendAndSettle(client, '', /OK [^\r\n]*\r\n$/);
    if (!logIn) return;
    await sendAndSettle(client, `AUTHENTICATE "PLAIN" "${login}"\r\n`, /(?:OK|NO|BYE)[^\r\n]*\r\n$/);
  },
});
