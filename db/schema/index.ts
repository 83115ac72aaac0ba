export * from './audit.ts';
export * from './cohorts.ts';
export * from './imports.ts';
export * from './outbox.ts';
export * from './patients.ts';
export * from './staff.ts';
export * from './oidc.ts';
export * from './sign-in-links.ts';
