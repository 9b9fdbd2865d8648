import { Binary, MongoRuntimeError, ObjectId } from 'mongodb';
import { StoreNotFoundError } from '../errors.js';
import { blobHash, newId } from '../ids.js';
import type { BlobHash } from '../types.js';
import type { BlobDoc, Collections } from './collections.js';
import { isDuplicateKey, upsertWithRetry } from './conflicts.js';

/**
 * Parts up to this size sit inline in the blob document; larger ones go to
 * GridFS (which the test server supports), keeping every document far below
 * the 16 MiB BSON limit.
 */
const INLINE_LIMIT = 4 * 1024 * 1024;

/** Up to this many distinct inline blobs, one upsert each takes fewer round trips than putInline's read + insert + update. */
const FEW_BLOBS = 2;

/** Batched rounds before blobs that keep losing races fall back to one upsert each. */
const INLINE_ROUNDS = 3;

/**
 * Content-addressed, reference-counted blobs. Every change to one blob is a
 * single-document atomic write, so concurrent put/release of one hash never
 * loses a referenced blob: a put is `$inc refs` (+ `$setOnInsert` of the bytes
 * on first insert), or for a batch an insert of the new ones and an `$inc` of
 * the existing ones (putMany); a release is `$inc refs -1`, then a delete that
 * only matches while refs ≤ 0.
 */
export class BlobStore {
  constructor(private readonly c: Pick<Collections, 'blobs' | 'blobFiles'>) {}

  async put(data: Buffer): Promise<BlobHash> {
    const hash = blobHash(data);
    await this.putCounted(hash, data, 1);
    return hash;
  }

  /**
   * One reference per part, for many parts at once (a batch of appends):
   * returns their hashes in order. Identical parts share one write, and more
   * than a few inline ones cost a read, one insertMany and one updateMany per
   * distinct occurrence count instead of one upsert each. On failure the references
   * already taken are released and the error is thrown.
   */
  async putMany(parts: readonly Buffer[]): Promise<BlobHash[]> {
    const hashes = parts.map((part) => blobHash(part));
    const wanted = new Map<string, Wanted>();
    for (const [i, part] of parts.entries()) {
      const hash = hashes[i]!;
      const entry = wanted.get(hash);
      if (entry) entry.count++;
      else wanted.set(hash, { hash, data: part, count: 1 });
    }
    const taken: Wanted[] = [];
    try {
      const all = [...wanted.values()];
      const inline = all.filter((entry) => entry.data.length <= INLINE_LIMIT);
      const batched = inline.length > FEW_BLOBS;
      for (const entry of batched ? all.filter((e) => e.data.length > INLINE_LIMIT) : all) {
        await this.putCounted(entry.hash, entry.data, entry.count);
        taken.push(entry);
      }
      if (batched) await this.putInline(inline, taken);
    } catch (error) {
      for (const entry of taken) await this.releaseCounted(entry.hash, entry.count);
      throw error;
    }
    return hashes;
  }

  /** `count` references to one blob, storing it if it is new: one atomic upsert (plus a GridFS upload for large ones). */
  private async putCounted(hash: string, data: Buffer, count: number): Promise<void> {
    if (data.length <= INLINE_LIMIT) {
      await upsertWithRetry(() =>
        this.c.blobs.updateOne(
          { _id: hash },
          { $inc: { refs: count }, $setOnInsert: { size: data.length, data: new Binary(data), incarnation: newId() } },
          { upsert: true },
        ),
      );
      return;
    }
    const result = await this.c.blobs.updateOne({ _id: hash }, { $inc: { refs: count } });
    if (result.matchedCount === 1) return;
    // Uploaded under a fresh file id; if another writer's file won the insert, ours is dropped.
    const file = await this.upload(hash, data);
    await upsertWithRetry(() =>
      this.c.blobs.updateOne(
        { _id: hash },
        { $inc: { refs: count }, $setOnInsert: { size: data.length, file, incarnation: newId() } },
        { upsert: true },
      ),
    );
    const stored = await this.c.blobs.findOne({ _id: hash });
    if (!stored?.file?.equals(file)) await this.removeFile(file);
  }

  /**
   * Adds the references of several inline blobs with a constant number of
   * writes. A blob read as existing gets `$inc` through a filter on the
   * incarnation read, so a document released, deleted and stored again
   * meanwhile is not matched; one whose incarnation is still there afterwards
   * existed throughout and was incremented (our own increment keeps it from
   * being released to zero). The new ones are inserted; those another writer
   * inserted first are tried again as existing. What still loses after a few
   * rounds, and documents without an incarnation, take the single-blob upsert.
   * Each entry is pushed to `taken` once its references are held.
   */
  private async putInline(entries: Wanted[], taken: Wanted[]): Promise<void> {
    let pending = entries;
    for (let round = 0; round < INLINE_ROUNDS && pending.length > 0; round++) pending = await this.putInlineRound(pending, taken);
    for (const entry of pending) {
      await this.putCounted(entry.hash, entry.data, entry.count);
      taken.push(entry);
    }
  }

  /** One read, an insertMany and an updateMany per occurrence count; returns the entries that lost a race. */
  private async putInlineRound(entries: Wanted[], taken: Wanted[]): Promise<Wanted[]> {
    const seen = await this.incarnations(entries.map((entry) => entry.hash));
    const lost: Wanted[] = [];
    const missing: Wanted[] = [];
    const existing = new Map<number, Wanted[]>();
    for (const entry of entries) {
      if (!seen.has(entry.hash)) missing.push(entry);
      else if (seen.get(entry.hash) === undefined) {
        // Stored without an incarnation: only the upsert can count it.
        await this.putCounted(entry.hash, entry.data, entry.count);
        taken.push(entry);
      } else {
        const group = existing.get(entry.count);
        if (group) group.push(entry);
        else existing.set(entry.count, [entry]);
      }
    }

    for (const [count, group] of existing) {
      const result = await this.c.blobs.updateMany(
        { _id: { $in: group.map((entry) => entry.hash) }, incarnation: { $in: group.map((entry) => seen.get(entry.hash)!) } },
        { $inc: { refs: count } },
      );
      if (result.matchedCount === group.length) {
        taken.push(...group);
        continue;
      }
      const now = await this.incarnations(group.map((entry) => entry.hash));
      for (const entry of group) {
        if (now.get(entry.hash) === seen.get(entry.hash)) taken.push(entry);
        else lost.push(entry);
      }
    }

    if (missing.length > 0) {
      const docs = missing.map(
        (entry): BlobDoc => ({
          _id: entry.hash,
          refs: entry.count,
          size: entry.data.length,
          data: new Binary(entry.data),
          incarnation: newId(),
        }),
      );
      try {
        await this.c.blobs.insertMany(docs, { ordered: false });
        taken.push(...missing);
      } catch (error) {
        // Another writer stored some of them first (the test server then inserts none): keep what is ours.
        if (!isDuplicateKey(error)) throw error;
        const now = await this.incarnations(missing.map((entry) => entry.hash));
        for (const [i, entry] of missing.entries()) {
          if (now.get(entry.hash) === docs[i]!.incarnation) taken.push(entry);
          else lost.push(entry);
        }
      }
    }
    return lost;
  }

  /** hash → incarnation (undefined for a document without one) of those that exist. */
  private async incarnations(hashes: string[]): Promise<Map<string, string | undefined>> {
    const docs = await this.c.blobs.find({ _id: { $in: hashes } }, { projection: { incarnation: 1 } }).toArray();
    return new Map(docs.map((doc) => [doc._id, doc.incarnation]));
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
    return (await this.concatMany([hashes]))[0]!;
  }

  /** concat for several lists of blobs, with one query for all of them. */
  async concatMany(lists: readonly (readonly string[])[]): Promise<Buffer[]> {
    const unique = [...new Set(lists.flat())];
    const docs = await this.c.blobs.find({ _id: { $in: unique } }).toArray();
    const found = new Map<string, Buffer>();
    for (const doc of docs) {
      if (doc.data) found.set(doc._id, toBuffer(doc.data));
      else if (doc.file) found.set(doc._id, await this.download(doc.file));
    }
    return lists.map((hashes) =>
      Buffer.concat(
        hashes.map((hash) => {
          const bytes = found.get(hash);
          if (!bytes) throw new StoreNotFoundError(`blob ${hash} is missing`);
          return bytes;
        }),
      ),
    );
  }

  async refs(hash: string): Promise<number> {
    const doc = await this.c.blobs.findOne({ _id: hash });
    return doc ? Math.max(0, doc.refs) : 0;
  }

  release(hash: string): Promise<void> {
    return this.releaseCounted(hash, 1);
  }

  /** Drops `count` references at once, deleting the blob when none is left. */
  private async releaseCounted(hash: string, count: number): Promise<void> {
    const result = await this.c.blobs.updateOne({ _id: hash }, { $inc: { refs: -count } });
    if (result.matchedCount === 0) return;
    const doc = await this.c.blobs.findOne({ _id: hash });
    if (!doc || doc.refs > 0) return;
    // Matches only while nobody re-referenced it since; a put racing with this keeps the blob.
    const removed = await this.c.blobs.deleteOne({ _id: hash, refs: { $lte: 0 } });
    if (removed.deletedCount === 1 && doc.file) await this.removeFile(doc.file);
  }

  /** Releases one reference per occurrence of each hash (one write per distinct hash). */
  async releaseAll(hashes: readonly string[]): Promise<void> {
    const counts = new Map<string, number>();
    for (const hash of hashes) counts.set(hash, (counts.get(hash) ?? 0) + 1);
    for (const [hash, count] of counts) await this.releaseCounted(hash, count);
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

/** A blob a batch needs, with how many references it takes. */
interface Wanted {
  hash: string;
  data: Buffer;
  count: number;
}

function toBuffer(binary: Binary): Buffer {
  const bytes = binary.value();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
