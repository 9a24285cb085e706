/** The worker's workflowsPath: one workflow per file, re-exported here. */
export { appointmentWorkflow } from './appointment';
export { phoneConversationWorkflow } from './phoneConversation';
