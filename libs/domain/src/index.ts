export * from './errors';
export * from './replication/define-replicable';
