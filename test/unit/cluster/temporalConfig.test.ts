import { existsSync } from 'node:fs';
import { parse } from 'yaml';
import { DYNAMIC_CONFIG_FILE } from '../../../src/cluster/cluster';
import {
  NUM_HISTORY_SHARDS,
  renderTemporalServerConfig,
  TEMPORAL_SERVICES,
  type TemporalConfigInput,
} from '../../../src/cluster/temporalConfig';
import { countTexts } from '../../cluster/workerMetrics';

const input: TemporalConfigInput = {
  services: {
    frontend: { grpc: 7233, membership: 21001 },
    history: { grpc: 40002, membership: 21002 },
    matching: { grpc: 40003, membership: 21003 },
    worker: { grpc: 40004, membership: 21004 },
  },
  frontendHttpPort: 40005,
  postgres: { port: 45432, user: 'temporal', password: 'abc123' },
  dynamicConfigFile: DYNAMIC_CONFIG_FILE,
  logLevel: 'warn',
};

describe("the cluster profile's Temporal server configuration", () => {
  const text = renderTemporalServerConfig(input);
  const config = parse(text) as {
    persistence: {
      numHistoryShards: number;
      defaultStore: string;
      visibilityStore: string;
      datastores: Record<string, { sql: { pluginName: string; databaseName: string; connectAddr: string } }>;
    };
    services: Record<string, { rpc: { grpcPort: number; membershipPort: number; bindOnIP: string } }>;
    clusterMetadata: { clusterInformation: { active: { rpcAddress: string } } };
    dynamicConfigClient: { filepath: string };
  };

  it('is YAML the server reads as a plain file, not as a template', () => {
    // The server renders a config file as a Go template when it mentions "enable-template".
    expect(text).not.toContain('enable-template');
    expect(config.persistence).toBeDefined();
  });

  it('keeps both stores on PostgreSQL with docker-compose’s plugin, databases and shard count', () => {
    const { persistence } = config;
    expect(persistence.numHistoryShards).toBe(NUM_HISTORY_SHARDS);
    expect(persistence.numHistoryShards).toBe(4);
    const stores = [
      persistence.datastores[persistence.defaultStore],
      persistence.datastores[persistence.visibilityStore],
    ];
    expect(stores.map((store) => store?.sql.pluginName)).toEqual(['postgres12', 'postgres12']);
    expect(stores.map((store) => store?.sql.databaseName)).toEqual(['temporal', 'temporal_visibility']);
    expect(stores.map((store) => store?.sql.connectAddr)).toEqual(['127.0.0.1:45432', '127.0.0.1:45432']);
  });

  it('runs the four services on loopback, the membership ports small enough for their smallint column', () => {
    expect(Object.keys(config.services).sort()).toEqual([...TEMPORAL_SERVICES].sort());
    for (const service of Object.values(config.services)) {
      expect(service.rpc.bindOnIP).toBe('127.0.0.1');
      expect(service.rpc.membershipPort).toBeLessThanOrEqual(32_767);
    }
    expect(config.clusterMetadata.clusterInformation.active.rpcAddress).toBe('127.0.0.1:7233');
  });

  it('uses the dynamic config docker-compose mounts', () => {
    expect(config.dynamicConfigClient.filepath).toBe(DYNAMIC_CONFIG_FILE);
    expect(DYNAMIC_CONFIG_FILE.endsWith('deploy/temporal-dynamicconfig.yaml')).toBe(true);
    expect(existsSync(DYNAMIC_CONFIG_FILE)).toBe(true);
  });
});

describe("a worker's text count from its /metrics", () => {
  it('sums sent texts and skipped duplicates over kinds', () => {
    const exposition = [
      '# HELP appointment_messaging_texts_total Text send attempts (sendSms), by message kind and outcome',
      '# TYPE appointment_messaging_texts_total counter',
      'appointment_messaging_texts_total{kind="BOOKED",outcome="sent"} 12',
      'appointment_messaging_texts_total{kind="REMINDER",outcome="sent"} 3',
      'appointment_messaging_texts_total{kind="BOOKED",outcome="duplicate_skipped"} 1',
      'appointment_messaging_texts_total{kind="BOOKED",outcome="failed_retryable"} 7',
      'appointment_messaging_ehr_callbacks_total{outcome="delivered"} 9',
    ].join('\n');
    expect(countTexts(exposition)).toEqual({ sent: 15, duplicateSkipped: 1 });
  });
});
