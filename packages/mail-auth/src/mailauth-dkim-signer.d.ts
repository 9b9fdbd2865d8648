// mailauth 4.13.3 ships no types for its signer class; these are the parts sign.ts uses.
declare module 'mailauth/lib/dkim/dkim-signer.js' {
  import { Writable } from 'node:stream';

  export interface ParsedHeaderLine {
    key: string | null;
    casedKey: string | undefined;
    line: Buffer;
  }

  export interface ParsedHeaders {
    parsed: ParsedHeaderLine[];
    original: Buffer;
  }

  export interface SignatureData {
    signingDomain: string;
    selector: string;
    privateKey: string;
    algorithm: string;
  }

  export interface DkimSignerOptions {
    canonicalization: string;
    /** Colon-separated header names; every field with one of these names is signed. */
    headerList: string;
    signatureData: SignatureData[];
  }

  export class DkimSigner extends Writable {
    constructor(options: DkimSignerOptions);
    /** Called once with the parsed header before the body is hashed. */
    messageHeaders(headers: ParsedHeaders): Promise<void>;
    /** One folded DKIM-Signature field per signature made, in signatureData order, without CRLF at the end. */
    signatureHeaders: string[];
    errors: { selector?: string; signingDomain?: string; err: Error }[];
  }
}
