/** Nest injection tokens of the mini-app's own settings. */
export const MINIAPP_SERVICE_NAME = Symbol('miniapp.service-name');
export const MINIAPP_SETTINGS = Symbol('miniapp.settings');
