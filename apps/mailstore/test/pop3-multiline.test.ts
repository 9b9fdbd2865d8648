import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeMultiline, topOfMessage } from '../src/pop3/multiline.js';

const encode = (text: string) => encodeMultiline(Buffer.from(text, 'latin1')).toString('latin1');
const top = (text: string, n: number) => topOfMessage(Buffer.from(text), n).toString();

describe('POP3 multi-line encoding (RFC 1939 §3)', () => {
  it('ends every line with CRLF and the response with ".\\r\\n"', () => {
    assert.equal(encode('a\r\nb\r\n'), 'a\r\nb\r\n.\r\n');
  });

  it('turns bare LF line endings into CRLF', () => {
    assert.equal(encode('a\nb\n'), 'a\r\nb\r\n.\r\n');
  });

  it('ends an unterminated last line with CRLF before the terminator', () => {
    assert.equal(encode('a\r\nlast'), 'a\r\nlast\r\n.\r\n');
  });

  it('byte-stuffs every line that starts with "."', () => {
    assert.equal(encode('.\r\n..x\r\n.hidden\r\nnot.this\r\n'), '..\r\n...x\r\n..hidden\r\nnot.this\r\n.\r\n');
  });

  it('stuffs a "." that follows a bare LF too', () => {
    assert.equal(encode('a\n.\nb'), 'a\r\n..\r\nb\r\n.\r\n');
  });

  it('keeps empty lines and 8-bit bytes unchanged', () => {
    assert.equal(encode('h: \xe9\r\n\r\n\xff body\r\n'), 'h: \xe9\r\n\r\n\xff body\r\n.\r\n');
  });

  it('answers an empty message with the terminator alone', () => {
    assert.equal(encode(''), '.\r\n');
  });
});

describe('POP3 TOP (RFC 1939 §7)', () => {
  const mail = 'Subject: x\r\nFrom: a@b\r\n\r\none\r\ntwo\r\nthree\r\n';

  it('gives the header and the blank line for 0 body lines', () => {
    assert.equal(top(mail, 0), 'Subject: x\r\nFrom: a@b\r\n\r\n');
  });

  it('gives the first n lines of the body', () => {
    assert.equal(top(mail, 2), 'Subject: x\r\nFrom: a@b\r\n\r\none\r\ntwo\r\n');
  });

  it('gives the whole message when n exceeds the body', () => {
    assert.equal(top(mail, 99), mail);
  });

  it('gives the whole message when it has no body', () => {
    assert.equal(top('Subject: only header\r\n', 3), 'Subject: only header\r\n');
  });

  it('finds the end of a header written with bare LF', () => {
    assert.equal(top('Subject: x\n\nbody1\nbody2\n', 1), 'Subject: x\n\nbody1\n');
  });
});
