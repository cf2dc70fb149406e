export * from './twilio-sms.config';
export * from './twilio-sms.provider';
