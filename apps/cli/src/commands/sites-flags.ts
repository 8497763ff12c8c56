import { ValidationError } from '@geo/domain';
import type { ParsedArgs } from '../argv';

/** How a flag's text becomes a JSON value of the sites API. */
type FlagKind = 'text' | 'nullable-text' | 'int' | 'bool' | 'ids' | 'list' | 'sync-type';

interface SettingFlag {
  readonly flag: string;
  /** The `geo_sites` API field (GitLab's name). */
  readonly field: string;
  readonly kind: FlagKind;
}

/** Settings `add` and `update` share; `--site-url` because `--url` is the gateway's address. */
export const SETTING_FLAGS: readonly SettingFlag[] = [
  { flag: 'name', field: 'name', kind: 'text' },
  { flag: 'site-url', field: 'url', kind: 'text' },
  { flag: 'internal-url', field: 'internal_url', kind: 'nullable-text' },
  { flag: 'enabled', field: 'enabled', kind: 'bool' },
  { flag: 'files-max-capacity', field: 'files_max_capacity', kind: 'int' },
  { flag: 'repos-max-capacity', field: 'repos_max_capacity', kind: 'int' },
  { flag: 'verification-max-capacity', field: 'verification_max_capacity', kind: 'int' },
  { flag: 'container-repositories-max-capacity', field: 'container_repositories_max_capacity', kind: 'int' },
  { flag: 'minimum-reverification-interval', field: 'minimum_reverification_interval', kind: 'int' },
  { flag: 'sync-object-storage', field: 'sync_object_storage', kind: 'bool' },
  { flag: 'selective-sync-type', field: 'selective_sync_type', kind: 'sync-type' },
  { flag: 'selective-sync-namespace-ids', field: 'selective_sync_namespace_ids', kind: 'ids' },
  { flag: 'selective-sync-shards', field: 'selective_sync_shards', kind: 'list' },
];

/** Only at creation: GitLab's update API cannot turn a site into the primary. */
export const PRIMARY_FLAG: SettingFlag = { flag: 'primary', field: 'primary', kind: 'bool' };

/** Where the gateway is and how to authenticate: flags first, then the environment. */
export const CONNECTION_FLAGS = ['url', 'token'] as const;
export const GATEWAY_URL_ENV = 'GEO_GATEWAY_URL';
export const ADMIN_TOKEN_ENV = 'GEO_ADMIN_TOKEN';

export interface GatewayConnection {
  readonly baseUrl: string;
  readonly adminToken: string;
}

function text(args: ParsedArgs, flag: string): string | undefined {
  const value = args.flags.get(flag);
  if (value === true) throw new ValidationError(`--${flag} needs a value`);
  return value;
}

export function gatewayConnection(args: ParsedArgs, env: Readonly<Record<string, string | undefined>>): GatewayConnection {
  const baseUrl = text(args, 'url') ?? env[GATEWAY_URL_ENV];
  if (baseUrl === undefined || baseUrl === '') throw new ValidationError(`missing --url (or set ${GATEWAY_URL_ENV})`);
  if (!/^https?:\/\/[^/]/.test(baseUrl)) throw new ValidationError(`--url must be an http(s) URL, got ${JSON.stringify(baseUrl)}`);
  const adminToken = text(args, 'token') ?? env[ADMIN_TOKEN_ENV];
  if (adminToken === undefined || adminToken === '') throw new ValidationError(`missing --token (or set ${ADMIN_TOKEN_ENV})`);
  return { baseUrl, adminToken };
}

function wholeNumber(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new ValidationError(`--${flag} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function convert(setting: SettingFlag, raw: string | true): unknown {
  const { flag, kind } = setting;
  if (kind === 'bool') {
    if (raw === true || raw === 'true') return true;
    if (raw === 'false') return false;
    throw new ValidationError(`--${flag} must be true or false, got ${JSON.stringify(raw)}`);
  }
  if (raw === true) throw new ValidationError(`--${flag} needs a value`);
  switch (kind) {
    case 'text':
      return raw;
    case 'nullable-text':
      return raw === '' ? null : raw;
    case 'int':
      return wholeNumber(flag, raw);
    case 'ids':
      return raw === '' ? [] : raw.split(',').map((part) => wholeNumber(flag, part.trim()));
    case 'list':
      return raw === '' ? [] : raw.split(',').map((part) => part.trim());
    case 'sync-type':
      if (raw === 'none' || raw === '') return null;
      if (raw === 'namespaces' || raw === 'shards') return raw;
      throw new ValidationError(`--${flag} must be namespaces, shards or none, got ${JSON.stringify(raw)}`);
  }
}

/** The API body for the setting flags present (absent flags are left out, so an update changes only those). */
export function settingsBody(args: ParsedArgs, settings: readonly SettingFlag[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const setting of settings) {
    const raw = args.flags.get(setting.flag);
    if (raw !== undefined) body[setting.field] = convert(setting, raw);
  }
  return body;
}

/** `--id`, a positive whole number. */
export function siteId(args: ParsedArgs): number {
  const raw = text(args, 'id');
  if (raw === undefined) throw new ValidationError('missing --id');
  const id = wholeNumber('id', raw);
  if (id === 0) throw new ValidationError('--id must be a positive whole number');
  return id;
}
