// Messages the scanner tests send: CRLF lines, as the MTA hands them over.
export const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

export function message(options: { subject?: string; body?: string } = {}): Buffer {
  return Buffer.from(
    [
      'Received: from mx.remote.example (mx.remote.example [192.0.2.7])',
      '\tby mail.example.com (Postern) with ESMTPS id 4XyZ1a2B3c',
      '\tfor <alice@example.com>; Mon, 06 Jan 2025 10:00:00 +0000',
      'From: Sam Sender <sam@remote.example>',
      'To: Alice <alice@example.com>',
      `Subject: ${options.subject ?? 'Lunch on Thursday'}`,
      'Message-ID: <lunch-1@remote.example>',
      'Date: Mon, 06 Jan 2025 10:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      options.body ?? 'Hi Alice,\r\n\r\nshall we meet for lunch on Thursday at noon? The usual place.\r\n\r\nBest,\r\nSam',
      '',
    ].join('\r\n'),
    'utf8',
  );
}

export function gtubeMessage(): Buffer {
  return message({ subject: 'Test spam mail (GTUBE)', body: `This is the GTUBE, the\r\nGeneric Test for Unsolicited Bulk Email\r\n\r\n${GTUBE}\r\n` });
}

/** An ordinary letter of about `bytes` bytes (plain prose paragraphs). */
export function letterOfSize(bytes: number): Buffer {
  const paragraph =
    'Thank you for the notes from the meeting on Tuesday. I have gone through the budget figures again and the numbers for the second quarter look right to me; the travel costs are a little higher than we planned, mostly because of the train strike in March.\r\n\r\n';
  let body = 'Hi Alice,\r\n\r\n';
  while (body.length < bytes - 600) body += paragraph;
  return message({ subject: 'Notes from Tuesday', body: `${body}Best,\r\nSam` });
}
