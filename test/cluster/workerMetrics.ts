/** What a worker process says it sent, from its own /metrics (WORKER_METRICS_PORT). */

export interface WorkerTexts {
  /** `appointment_messaging_texts_total{outcome="sent"}` over all kinds. */
  sent: number;
  /** Retried sends that found their text already sent and did not send it again. */
  duplicateSkipped: number;
}

/** Texts a worker sent, from its /metrics (`appointment_messaging_texts_total` by outcome); undefined when it does not answer. */
export async function textsSentBy(worker: { metricsUrl: string }): Promise<WorkerTexts | undefined> {
  try {
    const res = await fetch(worker.metricsUrl, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return undefined;
    return countTexts(await res.text());
  } catch {
    return undefined;
  }
}

/** Pure: sums `appointment_messaging_texts_total` over kinds, for the outcomes we report. */
export function countTexts(exposition: string): WorkerTexts {
  let sent = 0;
  let duplicateSkipped = 0;
  for (const line of exposition.split('\n')) {
    const match = /^appointment_messaging_texts_total\{([^}]*)\}\s+(\d+(?:\.\d+)?)/.exec(line);
    if (!match) continue;
    const value = Number(match[2]);
    if (/outcome="sent"/.test(match[1] ?? '')) sent += value;
    if (/outcome="duplicate_skipped"/.test(match[1] ?? '')) duplicateSkipped += value;
  }
  return { sent, duplicateSkipped };
}
