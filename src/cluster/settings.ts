/**
 * The cluster profile's settings (README "Cluster profile"), parsed with the service's own helpers
 * (src/config/schema.ts): unset or blank means the default, values are trimmed, and
 * TEMPORAL_NAMESPACE follows the service's rule, so `cluster:up` registers the namespace the
 * service then uses.
 */
import { z } from 'zod';
import { envFields, optionalPort, optionalString } from '../config/schema';

export const clusterSettingsSchema = z.object({
  CLUSTER_DATA_DIR: optionalString.pipe(z.string().default('.cluster')),
  CLUSTER_TEMPORAL_PORT: optionalPort,
  CLUSTER_POSTGRES_PORT: optionalPort,
  /** Folder with postgres, initdb, pg_isready and psql; unset: Debian's newest, else PATH. */
  CLUSTER_POSTGRES_BIN_DIR: optionalString,
  CLUSTER_TEMPORAL_LOG_LEVEL: optionalString.pipe(z.enum(['debug', 'info', 'warn', 'error']).default('warn')),
  // Blank is unset here (the default namespace), where the service refuses it.
  TEMPORAL_NAMESPACE: optionalString.pipe(envFields.shape.TEMPORAL_NAMESPACE),
});

export type ClusterSettings = z.output<typeof clusterSettingsSchema>;

/** Parses the settings from `source` (the environment), listing every problem at once. */
export function parseClusterSettings(source: Record<string, string | undefined>): ClusterSettings {
  const parsed = clusterSettingsSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Cluster profile settings have problems:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

/** CLUSTER_POSTGRES_BIN_DIR alone, for callers that read no other setting (the cluster tests). */
export function postgresBinDirSetting(
  source: Record<string, string | undefined> = process.env,
): string | undefined {
  return clusterSettingsSchema.shape.CLUSTER_POSTGRES_BIN_DIR.parse(source.CLUSTER_POSTGRES_BIN_DIR);
}
