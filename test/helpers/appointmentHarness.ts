/**
 * Everything an appointment workflow test needs, all real: a Temporal server (time-skipping or
 * dev), the real `twilio` SDK talking to our Twilio-compatible sandbox over HTTP, and the file
 * snapshot store in a temp folder.
 */
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { DEFAULT_TEMPLATES } from '../../src/domain/messages/templates';
import { FileSnapshotStore } from '../../src/activities/snapshots/fileStore';
import {
  createSandboxTwilioClient,
  SANDBOX_FROM_NUMBER,
  sandboxTwilioBaseUrl,
} from '../../src/activities/twilioClient';
import { logger } from '../../src/log';
import { SandboxMessageStore } from '../../src/sandbox/messageStore';
import { createTwilioSandboxRouter } from '../../src/sandbox/twilioSandbox';
import type { AppointmentEvent, AppointmentPolicy, EventEnvelope } from '../../src/shared/appointment';

export const quietLogger = logger.child({}, { level: 'silent' });

export interface SandboxTwilio {
  store: SandboxMessageStore;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startSandboxTwilio(
  dir = mkdtempSync(path.join(os.tmpdir(), 'sandbox-')),
): Promise<SandboxTwilio> {
  const store = new SandboxMessageStore(dir);
  const app = express();
  app.use(
    createTwilioSandboxRouter({ store, logger: quietLogger, deliveryDelaysMs: { sent: 0, delivered: 0 } }),
  );
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    store,
    baseUrl: sandboxTwilioBaseUrl(`http://127.0.0.1:${port}`),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export function testActivities(
  sandbox: SandboxTwilio,
  temporal: { client: Client; taskQueue: string; phoneIdKey?: string },
  ehrCallback: { url: string; secret: string } = { url: 'http://127.0.0.1:9/unused', secret: 'unused' },
  snapshotDir = mkdtempSync(path.join(os.tmpdir(), 'snap-')),
) {
  return {
    snapshots: new FileSnapshotStore(snapshotDir),
    activities: createActivities({
      twilio: createSandboxTwilioClient(sandbox.baseUrl),
      sender: { from: SANDBOX_FROM_NUMBER },
      templates: DEFAULT_TEMPLATES,
      customerName: 'Valley Clinic',
      customerCode: 'valley',
      snapshots: new FileSnapshotStore(snapshotDir),
      // Tests' ConversationGateway uses the same key ('valley') to find phone workflows.
      temporal: { phoneIdKey: 'valley', ...temporal },
      ehrCallback,
      logger: quietLogger,
    }),
  };
}

export async function appointmentWorker(
  env: TestWorkflowEnvironment,
  bundle: WorkflowBundleWithSourceMap,
  taskQueue: string,
  activities: ReturnType<typeof createActivities>,
  options: Partial<WorkerOptions> = {},
): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities,
    ...options,
  });
}

export const DEFAULT_POLICY: AppointmentPolicy = {
  firstOffsetMinutes: 48 * 60,
  secondOffsetMinutes: 24 * 60,
  windowStartMinutes: 0,
  windowFinishMinutes: 24 * 60,
  retentionHours: 72,
  customerCode: 'valley',
};

let counter = 0;

/** A canonical event with sensible defaults; `start` is an ISO instant. */
export function event(
  overrides: Partial<AppointmentEvent> & Pick<AppointmentEvent, 'eventType' | 'start' | 'eventAt'>,
): AppointmentEvent {
  counter += 1;
  return {
    eventId: `ev-${counter}-${Math.random().toString(36).slice(2, 8)}`,
    receivedAt: overrides.eventAt,
    appointmentId: 'A1',
    localStart: overrides.start.slice(0, 19),
    timeZone: 'UTC',
    location: 'Main St',
    patient: { id: 'P1', firstName: 'Ana', phone: '+13035550123', language: 'en' },
    provider: { id: 'D1', firstName: 'Jo', lastName: 'Smith', callbackPhone: '+13035550100' },
    ...overrides,
  };
}

export function envelope(ev: AppointmentEvent, policy: Partial<AppointmentPolicy> = {}): EventEnvelope {
  return { event: ev, policy: { ...DEFAULT_POLICY, ...policy } };
}

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
