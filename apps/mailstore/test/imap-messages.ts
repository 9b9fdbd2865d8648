// Sample messages for the IMAP tests.

/** A plain message; `n` makes each one distinct. */
export function simpleMessage(n: number, options: { subject?: string; from?: string; date?: string; body?: string } = {}): Buffer {
  return Buffer.from(
    [
      `From: ${options.from ?? 'Alice Example <alice@example.com>'}`,
      'To: Bob <bob@example.com>',
      `Subject: ${options.subject ?? `Message ${n}`}`,
      `Date: ${options.date ?? 'Fri, 21 Nov 2025 10:00:00 +0000'}`,
      `Message-ID: <msg-${n}@example.com>`,
      '',
      options.body ?? `Body of message ${n}.`,
      '',
    ].join('\r\n'),
  );
}

/** multipart/mixed: an alternative (text + HTML) and a base64 PDF attachment; UTF-8 subject and sender name. */
export function multipartMessage(): Buffer {
  return Buffer.from(
    [
      'From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>',
      'To: Alice <alice@example.com>, bob@example.com',
      'Cc: Carol <carol@example.com>',
      'Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=',
      'Date: Mon, 3 Nov 2025 08:15:00 +0100',
      'Message-ID: <multi-1@example.de>',
      'In-Reply-To: <earlier@example.com>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      'This is a multi-part message in MIME format.',
      '--outer',
      'Content-Type: multipart/alternative; boundary="inner"',
      '',
      '--inner',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Hallo Alice, sch=C3=B6ne Gr=C3=BC=C3=9Fe. The quarterly numbers are attached.',
      '--inner',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>Hallo Alice, the <b>quarterly numbers</b> are attached.</p>',
      '--inner--',
      '',
      '--outer',
      'Content-Type: application/pdf; name="report.pdf"',
      'Content-Disposition: attachment; filename="report.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 pretend this is a report').toString('base64'),
      '--outer--',
      '',
    ].join('\r\n'),
  );
}

/**
 * multipart/mixed with a preamble and an epilogue: 1 text/plain; 2 message/rfc822
 * holding a multipart/mixed (its own preamble and epilogue) of 2.1
 * multipart/alternative (2.1.1 text, 2.1.2 HTML) and 2.2 base64 data; 3 message/rfc822
 * holding a one-part message without Subject, addressed to a group.
 */
export function forwardedMessage(): Buffer {
  return Buffer.from(
    [
      'From: Alice <alice@example.com>',
      'To: Bob <bob@example.com>',
      'Subject: Fwd: plans',
      'Date: Mon, 3 Nov 2025 08:15:00 +0100',
      'Message-ID: <outer@example.com>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      'This is the preamble.',
      '--outer',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'See the two attached messages.',
      '--outer',
      'Content-Type: message/rfc822',
      'Content-Description: the plans',
      '',
      'From: Carol <carol@example.org>',
      'To: undisclosed-recipients:;',
      'Subject: Plans',
      'Date: Sun, 2 Nov 2025 23:30:00 -0500',
      'Message-ID: <inner@example.org>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="inner"',
      '',
      'Inner preamble.',
      '--inner',
      'Content-Type: multipart/alternative; boundary="alt"',
      '',
      '--alt',
      'Content-Type: text/plain',
      '',
      'Plans in plain text.',
      '--alt',
      'Content-Type: text/html',
      '',
      '<p>Plans in HTML.</p>',
      '--alt--',
      '',
      '--inner',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      '',
      'AAECAwQ=',
      '--inner--',
      'Inner epilogue.',
      '',
      '--outer',
      'Content-Type: message/rfc822',
      '',
      'From: Dave <dave@example.net>',
      'To: team: erin@example.net, frank@example.net;',
      'Date: Sat, 1 Nov 2025 12:00:00 +0000',
      '',
      'No subject here.',
      '',
      '--outer--',
      'This is the epilogue.',
      '',
    ].join('\r\n'),
  );
}
