/**
 * The Temporal SDK's own worker metrics that ops/ (dashboard, alerts) rely on, as its Prometheus
 * exporter (TEMPORAL_SDK_METRICS_ADDRESS) names them: prefix `temporal_`, counters without `_total`,
 * latencies in milliseconds. Checked against a scrape of @temporalio/worker 1.24 (README "Metrics and alerts").
 */
export const TEMPORAL_SDK_METRICS = [
  'temporal_worker_task_slots_available',
  'temporal_worker_task_slots_used',
  'temporal_num_pollers',
  'temporal_workflow_task_queue_poll_succeed',
  'temporal_workflow_task_schedule_to_start_latency',
  'temporal_workflow_task_execution_latency',
  'temporal_workflow_task_execution_failed',
  'temporal_activity_execution_failed',
  'temporal_sticky_cache_size',
  'temporal_request',
  'temporal_request_failure',
  'temporal_long_request',
  'temporal_workflow_completed',
] as const;
