export * from './core-banking-soap.mappings';
