/** What the mini-app's services and controllers run with, built once from the validated config (app.module.ts). */
export interface MiniAppSettings {
  serviceName: string;
  publicBaseUrl: string;
  /** The origin requests must come from (POST /l/:token's CSRF check), from the public base URL. */
  publicOrigin: string;
  otpKey: string;
  sessionIdleSeconds: number;
  sessionMaxSeconds: number;
  rateLimits: { perIp: number; perLink: number; perCustomer: number };
  upload: { maxFiles: number; maxBytes: number };
  cardProcessorOrigin?: string;
}
