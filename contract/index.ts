export * from './errors.ts';
export * from './model.ts';
export * from './operations.ts';
export * from './events.ts';
export * from './bridge.ts';
export * from './dispatch.ts';
export * from './text.ts';
export * from './records.ts';
