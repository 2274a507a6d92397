export * from './http/index.ts'
export * from './slack/index.ts'
export * from './widget/index.ts'
