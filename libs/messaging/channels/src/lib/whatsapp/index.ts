export * from './whatsapp-cloud.config';
export * from './whatsapp-cloud.provider';
