import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MongoClient } from 'mongodb';
import { displayUrl } from '../mongodb/url.js';

/** A MongoDB-wire server for tests. */
export interface TestMongo {
  /** Connection string of the server (its database part is replaced per store with databaseUrl()). */
  url: string;
  /** One line naming the server, its version and where it runs. */
  server: string;
  /** Stops the server this process started (a MONGO_URL server is left alone). */
  stop(): Promise<void>;
}

const TEST_SERVER_PACKAGE = '@jongodb/memory-server-bin-linux-x64-gnu';
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * The server the MongoDB tests run against: `MONGO_URL` when set, otherwise
 * the pinned test server binary started here. Throws when neither is
 * available — a backend that was not tested must never look as if it passed.
 */
export async function startTestMongo(): Promise<TestMongo> {
  const given = process.env.MONGO_URL;
  if (given) {
    const version = await serverVersion(given).catch((error: unknown) => {
      throw new Error(`MONGO_URL ${displayUrl(given)} does not answer: ${error instanceof Error ? error.message : String(error)}`);
    });
    return { url: given, server: `MongoDB ${version} at ${displayUrl(given)} (MONGO_URL)`, stop: async () => {} };
  }
  const binary = testServerBinary();
  const child = spawn(binary.path, ['--host=127.0.0.1', '--port=0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
  };
  try {
    const url = await waitForUri(child);
    const version = await serverVersion(url);
    return {
      url,
      server: `${TEST_SERVER_PACKAGE}@${binary.version} (reports MongoDB ${version}) at ${url}, pid ${child.pid}`,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The same server with another database name (and the same options). */
export function databaseUrl(baseUrl: string, dbName: string): string {
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(dbName)) throw new Error(`invalid MongoDB database name: ${dbName}`);
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/[^?]*)?(\?.*)?$/i.exec(baseUrl);
  if (!match) throw new Error(`not a MongoDB connection string: ${displayUrl(baseUrl)}`);
  return `${match[1]}/${dbName}${match[2] ?? ''}`;
}

function testServerBinary(): { path: string; version: string } {
  const missing = `no MongoDB server for the tests: set MONGO_URL to a MongoDB server (mongodb://host:port), or install the optional dependency ${TEST_SERVER_PACKAGE} (linux x64 glibc)`;
  let manifestPath: string;
  try {
    manifestPath = createRequire(import.meta.url).resolve(`${TEST_SERVER_PACKAGE}/package.json`);
  } catch {
    throw new Error(missing);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string; jongodb?: { binary?: string } };
  const path = join(dirname(manifestPath), manifest.jongodb?.binary ?? 'bin/jongodb');
  if (!existsSync(path)) throw new Error(`${missing} (${path} is missing)`);
  return { path, version: manifest.version };
}

/** Resolves with the URI the server prints once it listens (`JONGODB_URI=mongodb://…`). */
function waitForUri(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (reason: string) => {
      cleanup();
      const detail = stderr.trim() ? `\n${stderr.trim()}` : '';
      reject(new Error(`test MongoDB server ${reason}${detail}`));
    };
    const onStdout = (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const uri = /^JONGODB_URI=(\S+)$/m.exec(stdout)?.[1];
      if (uri) {
        cleanup();
        resolve(uri);
      }
    };
    const onStderr = (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-8192);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited before it was ready (${signal ?? `code ${code}`})`);
    const onError = (error: Error) => fail(`could not be started: ${error.message}`);
    const timer = setTimeout(() => fail(`printed no JONGODB_URI within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onStdout);
      child.off('exit', onExit);
      child.off('error', onError);
      // Keep draining the pipes so the server never blocks on a full one.
      child.stdout?.resume();
      child.stderr?.on('data', () => {});
    };
    child.stdout?.on('data', onStdout);
    child.stderr?.on('data', onStderr);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Connects once to prove the server answers, and reads its version. */
async function serverVersion(url: string): Promise<string> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.connect();
    const info = await client.db('admin').command({ buildInfo: 1 });
    return String(info.version);
  } finally {
    await client.close();
  }
}
