/**
 * JsonLinesLog, the storage under the sandbox stores: every line of the file reaches the index exactly once and in
 * file order, whether this log wrote it, another log on the file did (as another process would), or it was there at
 * start; torn, blank and foreign lines are skipped; a replaced file is read again.
 */
import { appendFile, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JsonLinesLog, type LogIndex } from '../../../src/sandbox/jsonLinesLog';

interface Entry {
  id: string;
}

/** An index that records what it was given. */
class RecordingIndex implements LogIndex<Entry> {
  applied: string[] = [];
  clears = 0;

  parse(value: unknown): Entry | undefined {
    return typeof value === 'object' && value !== null && typeof (value as Entry).id === 'string'
      ? { id: (value as Entry).id }
      : undefined;
  }

  apply(line: Entry): void {
    this.applied.push(line.id);
  }

  clear(): void {
    this.applied = [];
    this.clears++;
  }
}

let directory: string;
let file: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'json-lines-log-'));
  file = path.join(directory, 'nested', 'log.jsonl');
});

const opened: Array<JsonLinesLog<Entry>> = [];

afterEach(async () => {
  for (const log of opened.splice(0)) log.close();
  await rm(directory, { recursive: true, force: true });
});

function openLog(): { log: JsonLinesLog<Entry>; index: RecordingIndex } {
  const index = new RecordingIndex();
  const log = new JsonLinesLog(file, index);
  opened.push(log);
  return { log, index };
}

const append = (log: JsonLinesLog<Entry>, id: string): Promise<void> => log.run(() => log.append({ id }));
const sync = (log: JsonLinesLog<Entry>): Promise<void> => log.run(() => undefined);

describe('JsonLinesLog', () => {
  test('a log on a missing file is empty, and its first append creates the directory and the file', async () => {
    const { log, index } = openLog();
    await sync(log);
    expect(index.applied).toEqual([]);

    await append(log, 'a');
    await append(log, 'b');
    await sync(log);

    expect(index.applied).toEqual(['a', 'b']);
    expect(await readFile(file, 'utf8')).toBe('{"id":"a"}\n{"id":"b"}\n');
  });

  test('two logs on one file (two processes) each apply every line once, in file order', async () => {
    const here = openLog();
    const there = openLog();

    await append(here.log, 'h1');
    await append(there.log, 't1');
    await append(here.log, 'h2');
    await Promise.all([append(there.log, 't2'), append(here.log, 'h3')]);
    await sync(here.log);
    await sync(there.log);

    // The last two raced, so the file holds them in either order; both logs hold the file's order.
    const reopened = openLog();
    await sync(reopened.log);
    expect(reopened.index.applied.slice(0, 3)).toEqual(['h1', 't1', 'h2']);
    expect([...reopened.index.applied].sort()).toEqual(['h1', 'h2', 'h3', 't1', 't2']);
    expect(here.index.applied).toEqual(reopened.index.applied);
    expect(there.index.applied).toEqual(reopened.index.applied);
  });

  test('blank, foreign and unparseable lines are skipped', async () => {
    const { log } = openLog();
    await append(log, 'a'); // creates the directory
    await appendFile(file, '\n{"other":1}\nnot json\n{"id":"b"}\n');

    const reopened = openLog();
    await sync(reopened.log);
    expect(reopened.index.applied).toEqual(['a', 'b']);
  });

  test('a torn last line is skipped, and the next append stays a line of its own', async () => {
    const { log } = openLog();
    await append(log, 'a');
    await appendFile(file, '{"id":"to');

    const afterCrash = openLog();
    await sync(afterCrash.log);
    expect(afterCrash.index.applied).toEqual(['a']);
    await append(afterCrash.log, 'b');
    await sync(afterCrash.log);
    expect(afterCrash.index.applied).toEqual(['a', 'b']);

    expect(await readFile(file, 'utf8')).toBe('{"id":"a"}\n{"id":"to\n{"id":"b"}\n');
    const reopened = openLog();
    await sync(reopened.log);
    expect(reopened.index.applied).toEqual(['a', 'b']);
    // The log that wrote `a` reads on past the torn line too.
    await sync(log);
    await append(log, 'c');
    const last = openLog();
    await sync(last.log);
    expect(last.index.applied).toEqual(['a', 'b', 'c']);
  });

  test('lines longer than a read chunk and multi-byte characters read back whole', async () => {
    const { log } = openLog();
    const long = `${'ü'.repeat(700_000)}x`;
    await append(log, long);
    await append(log, 'short');

    const reopened = openLog();
    await sync(reopened.log);
    expect(reopened.index.applied).toEqual([long, 'short']);
  });

  test('a file replaced under the log is read again from the start', async () => {
    const { log, index } = openLog();
    await append(log, 'old');
    const replacement = path.join(directory, 'replacement.jsonl');
    await writeFile(replacement, '{"id":"new1"}\n{"id":"new2"}\n');
    await rename(replacement, file);

    await sync(log);
    expect(index.clears).toBe(1);
    expect(index.applied).toEqual(['new1', 'new2']);
    await append(log, 'new3');
    const reopened = openLog();
    await sync(reopened.log);
    expect(reopened.index.applied).toEqual(['new1', 'new2', 'new3']);
  });

  test('a closed log opens its file again on the next append', async () => {
    const { log, index } = openLog();
    await append(log, 'a');
    log.close();
    await append(log, 'b');

    expect(index.applied).toEqual(['a', 'b']);
    expect(await readFile(file, 'utf8')).toBe('{"id":"a"}\n{"id":"b"}\n');
  });

  test('a failed operation does not stop the ones queued after it', async () => {
    const { log, index } = openLog();
    const failed = log.run(() => {
      throw new Error('boom');
    });
    const next = append(log, 'a');
    await expect(failed).rejects.toThrow('boom');
    await next;
    expect(index.applied).toEqual(['a']);
  });
});
