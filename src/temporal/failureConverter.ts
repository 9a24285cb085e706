/**
 * Failure messages and stack traces travel encoded (through the payload codec) like payloads: an
 * error message may quote patient data. Loaded by path into the workflow bundle (the worker's
 * failureConverterPath) and used as an object by clients.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
