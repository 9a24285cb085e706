/** Sends the Temporal SDK's own logs (worker, workflow `log`, activity `log`) to our pino logger. */
import { Runtime, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/worker';
import type { Logger } from '../log';

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

/** Must run before any worker or native connection is created; once per process. */
export function installTemporalRuntime(logger: Logger): void {
  Runtime.install({ logger: pinoTemporalLogger(logger) });
}
