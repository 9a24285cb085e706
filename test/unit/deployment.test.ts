/**
 * docker-compose.yml and the Dockerfile cannot be run here (no Docker engine), so their security and
 * operability properties are checked by reading them (issue 11.8).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

interface Service {
  image?: string;
  build?: unknown;
  ports?: string[];
  env_file?: Array<{ path: string; required?: boolean }>;
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  command?: string[] | string;
}

const root = path.join(__dirname, '../..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const seconds = (duration: string | undefined): number => {
  const match = /^(\d+)(s|m)$/.exec(duration ?? '');
  return match ? Number(match[1]) * (match[2] === 'm' ? 60 : 1) : 0;
};

describe('docker-compose.yml', () => {
  test('publishes only the API to the network, the Web UI on the host loopback, never Temporal or PostgreSQL', () => {
    const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => [name, p]));
    expect(published).toEqual([
      ['temporal-ui', '127.0.0.1:8233:8080'],
      ['api', '3000:3000'],
    ]);
    expect(JSON.stringify(services)).not.toMatch(/7233:7233|5432:5432/);
  });

  test('the production topology: no sandbox settings (sandbox mode is one machine, loopback only)', () => {
    for (const name of ['api', 'worker']) {
      const environment = services[name]?.environment ?? {};
      expect([name, Object.keys(environment).filter((k) => /SANDBOX|API_INTERNAL_URL/.test(k))]).toEqual([
        name,
        [],
      ]);
    }
  });

  test('a maintained Temporal server image, its schema set up by a job before the server starts', () => {
    const images = Object.values(services).map((s) => s.image ?? '');
    expect(images.some((i) => i.includes('auto-setup'))).toBe(false);
    expect(services.temporal?.image).toMatch(/^temporalio\/server:\d+\.\d+\.\d+$/);
    expect(services['temporal-schema']?.image).toMatch(/^temporalio\/admin-tools:/);
    expect(String(services['temporal-schema']?.command)).toMatch(/update-schema/);
    expect(services.temporal?.depends_on?.['temporal-schema']).toEqual({
      condition: 'service_completed_successfully',
    });
  });

  test('Temporal, the worker and the API have health checks; workers drain before they are killed', () => {
    for (const name of ['postgresql', 'temporal', 'worker', 'api']) {
      expect(services[name]?.healthcheck?.test.length).toBeGreaterThan(0);
    }
    expect(services.worker?.environment?.WORKER_HEALTH_FILE).toBeDefined();
    // The worker's shutdown: 10 s grace for in-flight activities, then 20 s of cancellation (src/worker.ts).
    expect(seconds(services.worker?.stop_grace_period)).toBeGreaterThanOrEqual(30);
  });

  test('secrets come from an env file that must exist; the database password is required', () => {
    for (const name of ['worker', 'api']) {
      expect(services[name]?.env_file).toEqual([{ path: '.env', required: true }]);
    }
    const raw = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    expect(raw).toContain('${POSTGRES_PASSWORD:?');
    expect(raw).not.toMatch(/POSTGRES_PASSWORD: temporal\b/);
  });

  test('the Web UI asks the API’s codec server, which answers that origin', () => {
    expect(services['temporal-ui']?.environment?.TEMPORAL_CODEC_ENDPOINT).toBe('http://localhost:3000/codec');
    expect(services['temporal-ui']?.environment?.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).toBe('true');
    expect(services.api?.environment?.CODEC_CORS_ORIGINS).toContain('http://localhost:8233');
  });
});

describe('Dockerfile', () => {
  test('builds on a supported Node LTS (22) and bundles the workflows at build time', () => {
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms).toEqual(['node:22-bookworm-slim', 'node:22-bookworm-slim']);
    expect(dockerfile).toMatch(/npm run build:workflows/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
