/**
 * The console's page URLs in one place: the pages' routers, their forms and links, and the landing
 * page all name them, and a page's parts must not import its router to link back to it.
 */
export const CONSOLE_PATH = '/admin';
export const SIGN_IN_PATH = '/admin/sign-in';
export const SIGN_OUT_PATH = '/admin/sign-out';
export const CONFIGURATION_PATH = '/admin/configuration';
export const INTEGRATION_PATH = '/admin/integration';
export const SIMULATION_PATH = '/admin/simulation';
export const VIRTUAL_PHONE_PATH = '/admin/phone';
export const APPOINTMENTS_PATH = '/admin/appointments';
