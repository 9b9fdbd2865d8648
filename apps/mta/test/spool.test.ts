// The message spool: memory up to 1 MiB, then a 0600 file in the MTA's
// private directory under data_dir/spool, removed on destroy whatever happened.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { MEMORY_SPOOL_LIMIT, MessageSpool } from '../src/spool.js';
import { SpoolDirectory } from '../src/spool-directory.js';
import { SpooledMessage } from '../src/spooled-message.js';

async function fill(spool: MessageSpool, chunks: Buffer[]): Promise<void> {
  await pipeline(Readable.from(chunks), spool);
}

async function collect(stream: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of stream) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

/** A message of `size` bytes: a header, then 78-octet lines. */
function message(size: number): Buffer {
  const header = Buffer.from('From: a@example.org\r\nAuthentication-Results: mail.example.com; spf=pass\r\nSubject: spooled\r\n\r\n');
  const body = Buffer.alloc(size - header.length, 'x');
  for (let at = 76; at < body.length; at += 78) body.write('\r\n', at);
  return Buffer.concat([header, body]);
}

const chunked = (data: Buffer, size = 64 * 1024): Buffer[] => Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size));

describe('MessageSpool and SpoolDirectory', () => {
  let dataDir: string;
  let directory: SpoolDirectory;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'postern-spool-'));
    directory = SpoolDirectory.under(dataDir);
    await directory.prepare();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps a message up to 1 MiB in memory: no file', async () => {
    const data = message(MEMORY_SPOOL_LIMIT);
    const spool = directory.spool(10 * MEMORY_SPOOL_LIMIT);
    await fill(spool, chunked(data));
    assert.equal(spool.onDisk, false);
    assert.deepEqual(readdirSync(directory.path), []);
    assert.ok((await spool.content()).equals(data));
    assert.ok((await collect(spool.stream())).equals(data));
    spool.destroy();
  });

  it('spools a larger message to a 0600 file in a 0700 directory of its own, and destroy() removes it', async () => {
    const data = message(3 * MEMORY_SPOOL_LIMIT + 17);
    const spool = directory.spool(10 * MEMORY_SPOOL_LIMIT);
    await fill(spool, chunked(data));
    assert.equal(spool.onDisk, true);
    assert.equal(spool.size, data.length);
    assert.equal(statSync(spool.path).mode & 0o777, 0o600);
    assert.equal(statSync(directory.path).mode & 0o777, 0o700);
    assert.ok((await spool.content()).equals(data));
    assert.ok((await spool.content(5, Buffer.from('X: y\r\n'))).equals(Buffer.concat([Buffer.from('X: y\r\n'), data.subarray(5)])));
    assert.ok((await collect(spool.stream(1000))).equals(data.subarray(1000)));
    assert.ok((await spool.head(30)).equals(data.subarray(0, 30)));
    spool.destroy();
    await new Promise((resolve) => spool.once('close', resolve));
    assert.equal(existsSync(spool.path), false);
  });

  it('removes the file of a message cut off mid-transfer (the client went away)', async () => {
    const spool = directory.spool(10 * MEMORY_SPOOL_LIMIT);
    for (const chunk of chunked(message(2 * MEMORY_SPOOL_LIMIT))) spool.write(chunk);
    await new Promise((resolve) => setTimeout(resolve, 50));
    spool.destroy();
    await new Promise((resolve) => spool.once('close', resolve));
    assert.deepEqual(readdirSync(directory.path), []);
  });

  it('a file that cannot be written (gone directory, full disk) is no stream error: the rest is read, the failure recorded, SpooledMessage refuses', async () => {
    const spool = new MessageSpool(join(dataDir, 'no-such-directory', 'message'), 10 * MEMORY_SPOOL_LIMIT);
    await fill(spool, chunked(message(2 * MEMORY_SPOOL_LIMIT)));
    assert.match(String(spool.failure), /ENOENT/);
    await assert.rejects(SpooledMessage.of(spool), /ENOENT/);
    spool.destroy();
  });

  it('past the limit (message_size_limit) reads on but keeps nothing: overflowed', async () => {
    const spool = directory.spool(2 * MEMORY_SPOOL_LIMIT);
    await fill(spool, chunked(message(3 * MEMORY_SPOOL_LIMIT)));
    assert.equal(spool.overflowed, true);
    spool.destroy();
    await new Promise((resolve) => spool.once('close', resolve));
    assert.deepEqual(readdirSync(directory.path), []);
  });

  it('SpooledMessage: the header in memory, fields put on top and taken out, the body streamed from the file', async () => {
    const data = message(2 * MEMORY_SPOOL_LIMIT);
    const spool = directory.spool(10 * MEMORY_SPOOL_LIMIT);
    await fill(spool, chunked(data));
    const spooled = await SpooledMessage.of(spool);
    const headerEnd = data.indexOf('\r\n\r\n') + 4;
    assert.ok(spooled.header.equals(data.subarray(0, headerEnd)));
    const edited = spooled.withHeader(Buffer.from('From: a@example.org\r\nSubject: spooled\r\n\r\n')).prepend('Received-SPF: none\r\n');
    const expected = Buffer.concat([Buffer.from('Received-SPF: none\r\nFrom: a@example.org\r\nSubject: spooled\r\n\r\n'), data.subarray(headerEnd)]);
    assert.equal(edited.length, expected.length);
    assert.ok((await edited.bytes()).equals(expected));
    assert.ok((await collect(edited.stream())).equals(expected));
    spool.destroy();
  });

  it('SpooledMessage: a message without a header, and one that is all header', async () => {
    for (const text of ['\r\nbody only\r\n', 'Subject: no body\r\n']) {
      const spool = directory.spool(MEMORY_SPOOL_LIMIT);
      await fill(spool, [Buffer.from(text)]);
      const spooled = (await SpooledMessage.of(spool)).prepend('X-Top: 1\r\n');
      assert.equal((await spooled.bytes()).toString(), `X-Top: 1\r\n${text}`);
      spool.destroy();
    }
  });

  it('at start, removes the directories of MTA processes that are gone, never a live one', async () => {
    const parent = join(dataDir, 'spool');
    const dead = join(parent, 'mta-999999999-abcd');
    await mkdir(dead);
    const other = new SpoolDirectory(parent);
    await other.prepare();
    assert.equal(existsSync(dead), false);
    assert.equal(existsSync(directory.path), true, 'this live process keeps its own');
    await other.remove();
    assert.equal(existsSync(other.path), false);
  });
});
