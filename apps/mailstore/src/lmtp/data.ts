import type { MimeStructureScanner } from '@postern/mime';
import type { SMTPServerDataStream } from 'smtp-server';

/**
 * Reads the DATA stream whole. Returns null when the message went over the
 * size limit: the rest is read and dropped, so memory stays bounded by the
 * limit and no partial message exists. Rejects when the client went away
 * before the final dot (the stream is destroyed then). `structure`, when
 * given, sees every byte as it arrives.
 */
export async function readMessage(stream: SMTPServerDataStream, structure?: MimeStructureScanner): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (stream.sizeExceeded) {
      chunks.length = 0;
      size = 0;
      continue;
    }
    chunks.push(chunk);
    size += chunk.length;
    structure?.write(chunk);
  }
  return stream.sizeExceeded ? null : Buffer.concat(chunks, size);
}
