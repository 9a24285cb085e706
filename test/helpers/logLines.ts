/**
 * A pino logger whose every line (raw JSON text) lands in an array, for tests that read what was logged:
 * audit lines, outcomes, and that no patient data got in.
 */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

/** A stream that keeps each chunk written to it, as text, in `lines`. */
export function lineSink(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
}

export function capturingLogger(lines: string[], level: pino.LevelWithSilent = 'info'): Logger {
  return pino({ level }, lineSink(lines));
}
