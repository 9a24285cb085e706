/**
 * How every process reaches Temporal. The embedded dev server: its loopback address, nothing else.
 * A cluster (TEMPORAL_ADDRESS set): Temporal's own environment configuration (@temporalio/envconfig),
 * so TLS (server CA, server name, client certificate and key for mTLS) and an API key (Temporal
 * Cloud) use the names Temporal's CLI and SDKs use, from the environment or a TOML profile.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { ConfigError, type AppConfig } from '../config';

export type TemporalConnectionOptions = Pick<
  NativeConnectionOptions,
  'address' | 'tls' | 'apiKey' | 'metadata'
>;

const ENVCONFIG_NAMES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_PROFILE',
] as const;

const cache = new WeakMap<AppConfig, TemporalConnectionOptions>();

export function temporalConnectionOptions(config: AppConfig): TemporalConnectionOptions {
  const cached = cache.get(config);
  if (cached) return cached;
  let options: TemporalConnectionOptions = { address: config.temporalAddress };
  if (!config.embeddedTemporal) {
    const env: Record<string, string> = {};
    for (const name of ENVCONFIG_NAMES) {
      const value = config.env[name];
      if (value !== undefined) env[name] = String(value);
    }
    try {
      const { connectionOptions } = loadClientConnectConfig({
        overrideEnvVars: env,
        // Only an explicit TEMPORAL_CONFIG_FILE is read: a user's ~/.config profile must not change a server.
        ...(env.TEMPORAL_CONFIG_FILE
          ? { configSource: { path: env.TEMPORAL_CONFIG_FILE } }
          : { disableFile: true }),
        ...(env.TEMPORAL_PROFILE ? { profile: env.TEMPORAL_PROFILE } : {}),
      });
      options = {
        address: config.temporalAddress,
        ...(connectionOptions.tls !== undefined ? { tls: connectionOptions.tls } : {}),
        ...(connectionOptions.apiKey !== undefined ? { apiKey: connectionOptions.apiKey } : {}),
        ...(connectionOptions.metadata !== undefined ? { metadata: connectionOptions.metadata } : {}),
      };
    } catch (err) {
      // A certificate path that cannot be read, a TOML profile that does not parse: say which, never a secret.
      throw new ConfigError([`Temporal connection: ${(err as Error).message}`]);
    }
  }
  cache.set(config, options);
  return options;
}

/** For logs and the readiness report: how the connection is secured, without secrets. */
export function describeConnection(options: TemporalConnectionOptions): {
  address: string;
  tls: boolean;
  apiKey: boolean;
} {
  return { address: options.address ?? '', tls: Boolean(options.tls), apiKey: options.apiKey !== undefined };
}
