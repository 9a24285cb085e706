/** Prometheus metrics: the registry and its definitions, and the /metrics endpoint (README "Metrics and alerts"). */
export * from './registry';
export * from './endpoint';
export { WORKFLOW_METRICS } from './workflowMetrics';
