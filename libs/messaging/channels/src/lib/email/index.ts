export * from './classify-smtp';
export * from './email-provider';
export * from './email-provider.config';
