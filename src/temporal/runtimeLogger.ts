/** Sends the Temporal SDK's own logs (worker, workflow `log`, activity `log`) to our pino logger. */
import { Runtime, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/worker';
import { metricsFields } from '../config/schema';
import type { Logger } from '../log';

/** How often our workers heartbeat (the SDK accepts 1–60 s; it defaults to 60 s); /readyz reads them. */
export const WORKER_HEARTBEAT_INTERVAL_MS = 2_000;

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export function pinoTemporalLogger(logger: Logger): TemporalLogger {
  const at =
    (level: LogLevel) =>
    (message: string, meta?: LogMetadata): void => {
      logger[LEVELS[level]]({ ...meta, component: 'temporal' }, message);
    };
  return {
    log: (level, message, meta) => at(level)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}

/** TEMPORAL_SDK_METRICS_ADDRESS read through the schema: its default when unset, undefined when empty (off). */
export function sdkMetricsAddressFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return metricsFields.TEMPORAL_SDK_METRICS_ADDRESS.parse(env.TEMPORAL_SDK_METRICS_ADDRESS);
}

/**
 * Must run before any worker or native connection is created; once per process. With a metrics
 * address (TEMPORAL_SDK_METRICS_ADDRESS, default 127.0.0.1:9464) the SDK serves its own worker
 * metrics (task slots, pollers, latencies) and the workflows' `metricMeter` counts there, at
 * `http://<address>/metrics`. An address already in use is logged and the runtime installed without
 * it: metrics are never a reason for a worker not to run.
 */
export function installTemporalRuntime(
  logger: Logger,
  sdkMetricsAddress: string | undefined = sdkMetricsAddressFromEnv(),
): void {
  const temporalLogger = pinoTemporalLogger(logger);
  // The SDK's native (core) logs come through the same logger, as JSON lines, not printed on their own.
  const logging = { filter: { core: 'WARN', other: 'WARN' }, forward: {} } as const;
  // /readyz sees a killed worker as gone a few heartbeats later (src/api/readiness.ts); the SDK's 60 s is too slow.
  const workerHeartbeatInterval = WORKER_HEARTBEAT_INTERVAL_MS;
  if (sdkMetricsAddress !== undefined) {
    try {
      Runtime.install({
        logger: temporalLogger,
        telemetryOptions: { logging, metrics: { prometheus: { bindAddress: sdkMetricsAddress } } },
        workerHeartbeatInterval,
      });
      logger.info({ address: sdkMetricsAddress }, 'Temporal SDK metrics at /metrics');
      return;
    } catch (err) {
      logger.error(
        { err, address: sdkMetricsAddress },
        'Temporal SDK metrics exporter not started (TEMPORAL_SDK_METRICS_ADDRESS); running without it',
      );
    }
  }
  Runtime.install({ logger: temporalLogger, telemetryOptions: { logging }, workerHeartbeatInterval });
}
