export const AUDIT_STORE_SETTINGS = Symbol('closeout.audit.store-settings');
export const AUDIT_SERVICE_SETTINGS = Symbol('closeout.audit.service-settings');
