/** The worker's workflowsPath: every workflow type the worker runs. */
export { appointmentLifecycle } from './appointment';
export { phoneConversationWorkflow } from './phoneConversation';
export { fhirAppointmentIngest } from './fhirAppointmentIngest';
// Frozen: finishes runs started before appointmentLifecycle existed (see the file's header).
export { appointmentWorkflow } from './legacy/appointmentWorkflowV1';
