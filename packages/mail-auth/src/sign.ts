import type { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { parseAddress } from '@postern/address';
import type { PosternConfig } from '@postern/config';
import type { Store } from '@postern/store';
import { DkimSigner, type ParsedHeaders } from 'mailauth/lib/dkim/dkim-signer.js';
import { firstMailbox } from './from-address.js';
import { fieldValue, fieldsNamed, parseHeader, type MessageHeader } from './header-fields.js';
import { signingKeys } from './keys.js';
import type { SignatureFields, Signed } from './types.js';

// The fields a signature covers (RFC 6376 §5.4.1's recommendations), plus every List-* field present.
const SIGNED_FIELDS = [
  'From', 'To', 'Cc', 'Subject', 'Date', 'Message-ID', 'Reply-To', 'In-Reply-To', 'References',
  'MIME-Version', 'Content-Type', 'Content-Transfer-Encoding',
];

export interface SignOptions {
  store: Store;
  config: PosternConfig;
  /** MAIL FROM ('' for the null sender). */
  sender: string;
}

/** A message to sign: its header (for the From domain and the fields to cover) and its whole content, read once. */
export interface SignInput {
  header: Buffer;
  content(): Readable | Buffer;
}

/**
 * The DKIM-Signature fields for a message (RFC 6376; Ed25519 by RFC 8463) as
 * the domain of its From address, or of the envelope sender when it has no
 * From: relaxed/relaxed, sha256, From oversigned; '' when the domain has no
 * key. The content may be a stream: the signer hashes it as it passes.
 */
export async function dkimSignatureFields(message: SignInput, options: SignOptions): Promise<SignatureFields> {
  const header = parseHeader(message.header);
  const from = fieldsNamed(header, 'from')[0];
  const author = from ? firstMailbox(fieldValue(from)) : null;
  const envelope = envelopeSender(options.sender);
  const domain = author?.domain ?? envelope?.domain;
  if (domain === undefined) return { fields: '', signatures: [] };

  const senders = [author?.address, envelope?.address].filter((a): a is string => a !== undefined);
  const keys = await signingKeys(options.store, options.config, domain, senders);
  if (keys.length === 0) return { fields: '', signatures: [] };

  const signer = new FromOversigningSigner({
    canonicalization: 'relaxed/relaxed',
    headerList: signedFieldNames(header).join(':'),
    signatureData: keys.map((key) => ({ signingDomain: domain, selector: key.selector, privateKey: key.privateKey, algorithm: `${key.algorithm}-sha256` })),
  });
  const content = message.content();
  if (Buffer.isBuffer(content)) {
    signer.end(content);
    await finished(signer);
  } else {
    await pipeline(content, signer);
  }

  const failure = signer.errors[0];
  if (failure) {
    throw new Error(`DKIM signing as ${failure.selector ?? '?'}._domainkey.${domain} failed: ${failure.err.message} (check the key: postern dkim show ${domain})`);
  }
  return {
    fields: signer.signatureHeaders.map((field) => `${field}\r\n`).join(''),
    signatures: keys.map((key) => ({ domain, selector: key.selector, algorithm: key.algorithm })),
  };
}

/** dkimSignatureFields for a message in memory: the message with the fields on top. */
export async function signMessage(message: Buffer, options: SignOptions): Promise<Signed> {
  const { fields, signatures } = await dkimSignatureFields({ header: message, content: () => message }, options);
  return { message: fields === '' ? message : Buffer.concat([Buffer.from(fields, 'latin1'), message]), signatures };
}

function envelopeSender(sender: string): { address: string; domain: string } | null {
  if (sender === '') return null;
  try {
    return parseAddress(sender);
  } catch {
    return null;
  }
}

/** SIGNED_FIELDS and the List-* fields (RFC 2369, RFC 2919, RFC 8058) the message carries. */
function signedFieldNames(header: MessageHeader): string[] {
  const lists = new Set(header.fields.map((field) => field.name).filter((name) => /^list-/i.test(name)).map((name) => name.toLowerCase()));
  return [...SIGNED_FIELDS, ...lists];
}

/**
 * mailauth's signer lists each present field once in h=. OpenDKIM's
 * OversignHeaders=From lists From once more than the message has it, so a
 * From added later breaks the signature (RFC 6376 §8.15): the extra name
 * rides on the topmost From's name, which only h= uses.
 */
class FromOversigningSigner extends DkimSigner {
  override messageHeaders(headers: ParsedHeaders): Promise<void> {
    const top = headers.parsed.findIndex((line) => line.key === 'from');
    const entry = headers.parsed[top];
    if (entry === undefined) return super.messageHeaders(headers);
    const parsed = [...headers.parsed];
    parsed[top] = { ...entry, casedKey: `${entry.casedKey ?? 'From'}: From` };
    return super.messageHeaders({ ...headers, parsed });
  }
}
