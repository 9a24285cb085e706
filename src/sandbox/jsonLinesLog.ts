/**
 * An append-only JSON-lines file behind an in-memory index: the storage of the sandbox stores (messages, EHR
 * callbacks). An append costs one write and two stats, a read one stat, whatever the size of the file.
 *
 * - The file is read once, in chunks, by the first operation; each line is parsed and applied to the index.
 * - An append is one write of one line to the file, kept open in append mode (O_APPEND: the line lands whole at the
 *   end even when another process appends too).
 * - Every operation starts, and every append ends, with a stat of the file. When it grew by more than our own
 *   appends, another process appended (API processes sharing DATA_DIR): the new bytes are read from where reading
 *   stopped, our own lines among them recognised rather than parsed again. So the index always holds the file's lines
 *   in file order, exactly what a restart would load. A file deleted, replaced or truncated under us is read again
 *   from the start (deleting it empties the index).
 * - A torn last line (a crash mid-write) is skipped; the next append ends it with a newline first, so it stays a
 *   skipped line of its own instead of spoiling the appended one.
 * - Operations run one at a time, reads included, so a check-then-append is atomic within the process.
 */
import { close, fstat, open as openFile, statSync, write } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/** What a log feeds: it turns file lines into typed lines and applies them in file order. */
export interface LogIndex<Line> {
  /** A parsed JSON line from the file, or undefined to skip it (foreign or invalid). */
  parse(value: unknown): Line | undefined;
  apply(line: Line): void;
  /** Forget every line: the file is about to be read again from the start. */
  clear(): void;
}

const READ_CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;

const openAppending = promisify(openFile);
const writeBytes = promisify(write);
const statDescriptor = promisify(fstat);
/**
 * The append file is a plain descriptor, closed here when a log is dropped without close() (a test's store, a store
 * module reloaded): a FileHandle would be closed by the garbage collector too, but with a deprecation warning.
 */
const unclosedFiles = new FinalizationRegistry<number>((fd) => close(fd, () => undefined));

/**
 * One index per file per process, whoever opens it: stores on the same directory share it, so they
 * never disagree about what the file holds.
 */
export function indexPerFile<T>(registry: Map<string, T>, file: string, create: (file: string) => T): T {
  const key = path.resolve(file);
  let index = registry.get(key);
  if (index === undefined) {
    index = create(key);
    registry.set(key, index);
  }
  return index;
}

export class JsonLinesLog<Line> {
  private queue: Promise<unknown> = Promise.resolve();
  /** The file descriptor appends go to, open in append mode. */
  private fd: number | undefined;
  /** The inode the index reflects; undefined until the file exists. */
  private inode: number | undefined;
  /** Bytes read and applied: the file up to the end of its last whole line. */
  private offset = 0;
  /** The file's size when last read; more than `offset` while the file ends in a torn line. */
  private seenSize = 0;
  private tornTail = false;
  /** Lines this log wrote after `seenSize`, in order, and their bytes: applied when reading the file passes them. */
  private ownLines: Array<{ text: string; line: Line }> = [];
  private ownBytes = 0;

  constructor(
    readonly file: string,
    private readonly index: LogIndex<Line>,
  ) {}

  /** Runs `work` once the index holds every line of the file, after every operation queued before it. */
  run<T>(work: () => T | Promise<T>): Promise<T> {
    const next = this.queue
      .catch(() => undefined)
      .then(async () => {
        await this.catchUp();
        return work();
      });
    this.queue = next;
    return next;
  }

  /** Appends a line; on return the index holds it, after any line another process wrote first. Only inside `run`. */
  async append(line: Line): Promise<void> {
    const text = JSON.stringify(line);
    const bytes = Buffer.from(`${this.tornTail ? '\n' : ''}${text}\n`, 'utf8');
    const fd = await this.openForAppend();
    let written = 0;
    while (written < bytes.length) {
      written += (await writeBytes(fd, bytes, written, bytes.length - written, null)).bytesWritten;
    }
    this.tornTail = false;
    this.ownLines.push({ text, line });
    this.ownBytes += bytes.length;
    await this.catchUp();
  }

  private async catchUp(): Promise<void> {
    // Synchronous on purpose: a stat of a file in use answers from cached metadata in ~2 µs, while the libuv
    // threadpool round trip costs ~40 µs and queues behind DNS and crypto work; it is the whole cost of a read.
    const current = statSync(this.file, { throwIfNoEntry: false });
    if (current === undefined) {
      if (this.inode !== undefined) this.reset();
      return;
    }
    if (this.inode !== undefined && (current.ino !== this.inode || current.size < this.seenSize))
      this.reset();
    this.inode = current.ino;
    if (current.size === this.seenSize + this.ownBytes) {
      // Nobody else wrote: whatever the file gained is our own lines.
      if (this.ownBytes > 0) {
        for (const own of this.ownLines) this.index.apply(own.line);
        this.offset = this.seenSize = current.size;
        this.ownLines = [];
        this.ownBytes = 0;
      }
      return;
    }
    await this.readUpTo(current.size);
  }

  /** Reads and applies the whole lines between `offset` and `end`, skipping the ones this log wrote. */
  private async readUpTo(end: number): Promise<void> {
    const reader = await open(this.file, 'r');
    try {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, Math.max(end - this.offset, 1)));
      let position = this.offset;
      let carry = Buffer.alloc(0);
      while (position < end) {
        const { bytesRead } = await reader.read(chunk, 0, Math.min(chunk.length, end - position), position);
        if (bytesRead === 0) break;
        position += bytesRead;
        const data =
          carry.length === 0
            ? chunk.subarray(0, bytesRead)
            : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
        let start = 0;
        // 0x0a never occurs inside a multi-byte UTF-8 character, so splitting the bytes at it is safe.
        for (let newline = data.indexOf(NEWLINE); newline !== -1; newline = data.indexOf(NEWLINE, start)) {
          this.consume(data.toString('utf8', start, newline));
          this.offset += newline + 1 - start;
          start = newline + 1;
        }
        carry = Buffer.from(data.subarray(start)); // a copy: `chunk` is reused
      }
      this.seenSize = position;
      this.tornTail = position > this.offset;
    } finally {
      await reader.close();
    }
    // Our writes all returned before this read began, so reading passed every own line (an own line glued to a line
    // another process tore is lost in the file, so it stays out of the index too).
    this.ownLines = [];
    this.ownBytes = 0;
  }

  private consume(text: string): void {
    const own = this.ownLines[0];
    if (own !== undefined && text === own.text) {
      this.ownLines.shift();
      this.index.apply(own.line);
      return;
    }
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return; // torn by a crash mid-write
    }
    const line = this.index.parse(value);
    if (line !== undefined) this.index.apply(line);
  }

  /** Closes the append file between operations (the next append opens it again). */
  close(): void {
    if (this.fd === undefined) return;
    unclosedFiles.unregister(this);
    close(this.fd, () => undefined);
    this.fd = undefined;
  }

  /** The directory is created here, once, not on every append. */
  private async openForAppend(): Promise<number> {
    if (this.fd === undefined) {
      await mkdir(path.dirname(this.file), { recursive: true });
      const fd = await openAppending(this.file, 'a');
      this.fd = fd;
      unclosedFiles.register(this, fd, this);
      this.inode ??= (await statDescriptor(fd)).ino;
    }
    return this.fd;
  }

  private reset(): void {
    this.close();
    this.inode = undefined;
    this.offset = this.seenSize = 0;
    this.tornTail = false;
    this.ownLines = [];
    this.ownBytes = 0;
    this.index.clear();
  }
}
