/**
 * Workflow histories as proto3 JSON: the format of the Web UI's "Download" and of
 * `temporal workflow show --output json`. Not `historyFromJSON`/`historyToJSON` from
 * @temporalio/common: with this lockfile each @temporalio package has its own copy of protobufjs 8,
 * and those fail with "type must be a Type" (an instanceof across copies). So convert with the
 * protobufjs copy that @temporalio/proto's own types were built with.
 */
import { createRequire } from 'node:module';
import type { History } from '@temporalio/common/lib/proto-utils';

interface ProtoJson {
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
  toJson(type: unknown, message: unknown): unknown;
}
interface ProtoType {
  fromObject(object: unknown): unknown;
}

function historyType(): { protojson: ProtoJson; type: ProtoType } {
  const fromProto = createRequire(require.resolve('@temporalio/proto'));
  const protojson = fromProto('protobufjs/ext/protojson') as ProtoJson;
  const root = fromProto('./json-module') as { lookupType(name: string): ProtoType };
  return { protojson, type: root.lookupType('temporal.api.history.v1.History') };
}

export class HistoryJsonError extends Error {
  override readonly name = 'HistoryJsonError';
}

/** Parses a history from its proto3 JSON text; throws HistoryJsonError when it is not one. */
export function historyFromJson(text: string): History {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new HistoryJsonError(`not JSON: ${(err as Error).message}`);
  }
  const { protojson, type } = historyType();
  let history: unknown;
  try {
    history = protojson.fromJson(type, json, { ignoreUnknownFields: true });
  } catch (err) {
    throw new HistoryJsonError(`not a workflow history: ${(err as Error).message}`);
  }
  const events = (history as History | undefined)?.events;
  if (!events || events.length === 0) throw new HistoryJsonError('not a workflow history: it has no events');
  return history as History;
}

/** A history as pretty proto3 JSON text. */
export function historyToJson(history: History): string {
  const { protojson, type } = historyType();
  return JSON.stringify(protojson.toJson(type, type.fromObject(history)), null, 2);
}
