import { Binary, MongoRuntimeError, ObjectId } from 'mongodb';
import { StoreNotFoundError } from '../errors.js';
import { blobHash } from '../ids.js';
import type { BlobHash } from '../types.js';
import type { Collections } from './collections.js';
import { upsertWithRetry } from './conflicts.js';

/**
 * Parts up to this size sit inline in the blob document; larger ones go to
 * GridFS (which the test server supports), keeping every document far below
 * the 16 MiB BSON limit.
 */
const INLINE_LIMIT = 4 * 1024 * 1024;

/**
 * Content-addressed, reference-counted blobs. Every step is a single-document
 * atomic write, so concurrent put/release of one hash never loses a referenced
 * blob: a put is `$inc refs` (+ `$setOnInsert` of the bytes on first insert);
 * a release is `$inc refs -1`, then a delete that only matches while refs ≤ 0.
 */
export class BlobStore {
  constructor(private readonly c: Pick<Collections, 'blobs' | 'blobFiles'>) {}

  async put(data: Buffer): Promise<BlobHash> {
    const hash = blobHash(data);
    if (data.length <= INLINE_LIMIT) {
      await upsertWithRetry(() =>
        this.c.blobs.updateOne(
          { _id: hash },
          { $inc: { refs: 1 }, $setOnInsert: { size: data.length, data: new Binary(data) } },
          { upsert: true },
        ),
      );
      return hash;
    }
    if (await this.addRef(hash)) return hash;
    // Uploaded under a fresh file id; if another writer's file won the insert, ours is dropped.
    const file = await this.upload(hash, data);
    await upsertWithRetry(() =>
      this.c.blobs.updateOne(
        { _id: hash },
        { $inc: { refs: 1 }, $setOnInsert: { size: data.length, file } },
        { upsert: true },
      ),
    );
    const stored = await this.c.blobs.findOne({ _id: hash });
    if (!stored?.file?.equals(file)) await this.removeFile(file);
    return hash;
  }

  /** One more reference to a blob that exists; false when it is gone. */
  async addRef(hash: string): Promise<boolean> {
    const result = await this.c.blobs.updateOne({ _id: hash }, { $inc: { refs: 1 } });
    return result.matchedCount === 1;
  }

  async get(hash: string): Promise<Buffer | null> {
    const doc = await this.c.blobs.findOne({ _id: hash });
    if (!doc) return null;
    if (doc.data) return toBuffer(doc.data);
    if (!doc.file) return null;
    try {
      return await this.download(doc.file);
    } catch (error) {
      // Released and removed between the two reads.
      if (error instanceof StoreNotFoundError) return null;
      throw error;
    }
  }

  /** The bytes of several blobs in order (one query for all inline ones); throws when one is missing. */
  async concat(hashes: readonly string[]): Promise<Buffer> {
    const unique = [...new Set(hashes)];
    const docs = await this.c.blobs.find({ _id: { $in: unique } }).toArray();
    const found = new Map<string, Buffer>();
    for (const doc of docs) {
      if (doc.data) found.set(doc._id, toBuffer(doc.data));
      else if (doc.file) found.set(doc._id, await this.download(doc.file));
    }
    return Buffer.concat(
      hashes.map((hash) => {
        const bytes = found.get(hash);
        if (!bytes) throw new StoreNotFoundError(`blob ${hash} is missing`);
        return bytes;
      }),
    );
  }

  async refs(hash: string): Promise<number> {
    const doc = await this.c.blobs.findOne({ _id: hash });
    return doc ? Math.max(0, doc.refs) : 0;
  }

  async release(hash: string): Promise<void> {
    const result = await this.c.blobs.updateOne({ _id: hash }, { $inc: { refs: -1 } });
    if (result.matchedCount === 0) return;
    const doc = await this.c.blobs.findOne({ _id: hash });
    if (!doc || doc.refs > 0) return;
    // Matches only while nobody re-referenced it since; a put racing with this keeps the blob.
    const removed = await this.c.blobs.deleteOne({ _id: hash, refs: { $lte: 0 } });
    if (removed.deletedCount === 1 && doc.file) await this.removeFile(doc.file);
  }

  /** Releases one reference per occurrence of each hash. */
  async releaseAll(hashes: readonly string[]): Promise<void> {
    for (const hash of hashes) await this.release(hash);
  }

  private upload(hash: string, data: Buffer): Promise<ObjectId> {
    const id = new ObjectId();
    return new Promise((resolve, reject) => {
      const stream = this.c.blobFiles.openUploadStreamWithId(id, hash);
      stream.once('finish', () => resolve(id));
      stream.once('error', reject);
      stream.end(data);
    });
  }

  private async download(file: ObjectId): Promise<Buffer> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of this.c.blobFiles.openDownloadStream(file)) chunks.push(chunk as Buffer);
    } catch (error) {
      if (error instanceof MongoRuntimeError) throw new StoreNotFoundError(`blob file ${file.toHexString()} is missing`);
      throw error;
    }
    return Buffer.concat(chunks);
  }

  private async removeFile(file: ObjectId): Promise<void> {
    try {
      await this.c.blobFiles.delete(file);
    } catch (error) {
      // The driver's "File not found": already gone, nothing to free.
      if (!(error instanceof MongoRuntimeError)) throw error;
    }
  }
}

function toBuffer(binary: Binary): Buffer {
  const bytes = binary.value();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
