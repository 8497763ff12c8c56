import { GraphQLError, type GraphQLResolveInfo } from 'graphql';
import type { IResolvers } from 'mercurius';
import type { Registry } from '@geo/proto';
import { packagesNugetSymbol } from '@geo/replicables';
import type { TokenRole } from '../http/admin-auth';
import {
  replicableOfClass,
  toProtoSort,
  toProtoSyncState,
  toProtoVerificationFilter,
  type RegistryClassValue,
  type RegistrySortValue,
  type RegistryStateValue,
  type VerificationStateValue,
} from './enums';
import type { GeoNodeDirectory, GeoNodeInfo } from './geo-nodes';
import { GEO_NODE_MODEL, NUGET_SYMBOL_REGISTRY_MODEL, toGlobalId, type GlobalId } from './global-id';
import { emptyPage, toPage, toPageRequest, type ConnectionArgs, type Page } from './pagination';
import type { RegistriesPort } from './registries-api';
import { toRegistryNode, type NugetSymbolRegistryNode } from './registry-json';
import { GeoBaseRegistryIdScalar, NugetSymbolRegistryIdScalar, TimeScalar } from './scalars';
import { selectsField } from './selection';

declare module 'mercurius' {
  interface MercuriusContext {
    /** Who is asking (`tokenRole` of the request's token). */
    geoRole: TokenRole;
  }
}

/**
 * GitLab's `raise_resource_not_available_error!` message: what a caller without the right, or
 * asking for something that does not exist, gets (the two are not told apart).
 */
export const RESOURCE_NOT_AVAILABLE_MESSAGE = "The resource that you are attempting to access does not exist or you don't have permission to perform this action";

/** `errors` of a bulk update asked of a primary: registries live in secondaries' tracking databases. */
export const PRIMARY_HAS_NO_REGISTRIES_MESSAGE = 'Geo registries exist only on secondary sites; ask the secondary site';

export interface ResolverDeps {
  /** `GEO_SITE_NAME`: `geoNode`'s default name and the only node whose registries are answered. */
  readonly siteName: string;
  readonly nodes: GeoNodeDirectory;
  /** The site's registry app; undefined on a primary, which has no tracking database. */
  readonly registries: RegistriesPort | undefined;
}

interface GeoNodeArgs {
  readonly name?: string | null;
}

interface RegistriesArgs extends ConnectionArgs {
  readonly ids?: readonly GlobalId[] | null;
  readonly replicationState?: RegistryStateValue | null;
  readonly verificationState?: VerificationStateValue | null;
  readonly keyword?: string | null;
  readonly sort?: RegistrySortValue | null;
}

interface UpdateInput {
  readonly clientMutationId?: string | null;
  readonly registryClass?: RegistryClassValue | null;
  readonly registryId: GlobalId;
  readonly action: 'RESYNC' | 'REVERIFY';
}

interface BulkUpdateInput {
  readonly clientMutationId?: string | null;
  readonly registryClass: RegistryClassValue;
  readonly action: 'RESYNC_ALL' | 'REVERIFY_ALL';
  readonly ids?: readonly GlobalId[] | null;
  readonly replicationState?: RegistryStateValue | null;
  readonly verificationState?: VerificationStateValue | null;
}

interface RegistryConnection extends Page<NugetSymbolRegistryNode> {
  /** Set when the query selected `count`. */
  readonly count: number | undefined;
}

const REPLICABLE = packagesNugetSymbol.name;

const notAvailable = (): GraphQLError => new GraphQLError(RESOURCE_NOT_AVAILABLE_MESSAGE);

/** `read_all_geo` is an admin right (ee/app/policies/ee/global_policy.rb). */
const isAdmin = (role: TokenRole): boolean => role === 'admin';

function emptyConnection(): RegistryConnection {
  return { ...emptyPage<NugetSymbolRegistryNode>(), count: 0 };
}

/**
 * The resolvers of schema.graphql. Authorization follows GitLab: `geoNode` is null for anyone but
 * an admin (GitLab's finder returns no node without `read_all_geo`), mutations answer a
 * resource-not-available error, and registries are only ever read from this site's own registry
 * app (GitLab: nothing unless the queried node is the current node).
 */
export function createResolvers(deps: ResolverDeps): IResolvers {
  async function listRegistries(node: GeoNodeInfo, args: RegistriesArgs, info: GraphQLResolveInfo): Promise<RegistryConnection> {
    // GitLab's resolver: `registry_class.none unless geo_node_is_current?`. A primary is current
    // to itself but has no tracking database (no registry rows): also nothing.
    if (!node.current || deps.registries === undefined) return emptyConnection();
    const request = toPageRequest(args);
    const withCount = selectsField(info, 'count');
    const answer = await deps.registries.list({
      replicableName: REPLICABLE,
      ids: (args.ids ?? []).map((gid) => gid.id),
      state: toProtoSyncState(args.replicationState ?? undefined),
      verificationState: toProtoVerificationFilter(args.verificationState ?? undefined),
      keyword: args.keyword ?? '',
      sort: toProtoSort(args.sort ?? undefined),
      pageSize: request.pageSize,
      pageToken: request.pageToken,
      backward: request.backward,
      includeTotalCount: withCount,
    });
    const page = toPage(request, { rows: answer.registries.map(toRegistryNode), rowTokens: answer.rowTokens, nextPageToken: answer.nextPageToken });
    return { ...page, count: answer.totalCount };
  }

  /** GitLab's `authorized_find!`: the registry by its global id, or resource-not-available. */
  async function findRegistry(gid: GlobalId): Promise<{ api: RegistriesPort; registry: Registry }> {
    const api = deps.registries;
    if (api === undefined || gid.modelName !== NUGET_SYMBOL_REGISTRY_MODEL) throw notAvailable();
    const answer = await api.list({
      replicableName: REPLICABLE,
      ids: [gid.id],
      state: toProtoSyncState(undefined),
      verificationState: toProtoVerificationFilter(undefined),
      keyword: '',
      sort: toProtoSort(undefined),
      pageSize: 1,
      pageToken: '',
      backward: false,
      includeTotalCount: false,
    });
    const registry = answer.registries[0];
    if (registry === undefined) throw notAvailable();
    return { api, registry };
  }

  return {
    Time: TimeScalar,
    GeoBaseRegistryID: GeoBaseRegistryIdScalar,
    GeoPackagesNugetSymbolRegistryID: NugetSymbolRegistryIdScalar,
    Query: {
      async geoNode(_root: unknown, args: GeoNodeArgs, context) {
        if (!isAdmin(context.geoRole)) return null;
        return (await deps.nodes.find(args.name ?? deps.siteName)) ?? null;
      },
    },
    GeoNode: {
      id: async (node: GeoNodeInfo) => toGlobalId(GEO_NODE_MODEL, await node.id()),
      name: (node: GeoNodeInfo) => node.name,
      primary: (node: GeoNodeInfo) => node.primary,
      packagesNugetSymbolRegistries: (node: GeoNodeInfo, args: RegistriesArgs, _context, info) => listRegistries(node, args, info),
    },
    PackagesNugetSymbolRegistryConnection: {
      count(connection: RegistryConnection) {
        if (connection.count === undefined) throw new GraphQLError('count was not computed for this selection');
        return connection.count;
      },
    },
    Mutation: {
      async geoRegistriesUpdate(_root: unknown, { input }: { input: UpdateInput }, context) {
        if (!isAdmin(context.geoRole)) throw notAvailable();
        // `registryClass` is accepted and ignored, as in GitLab (issue 424563).
        const { api, registry: found } = await findRegistry(input.registryId);
        const registry = input.action === 'RESYNC' ? await api.resync(REPLICABLE, found.modelRecordId) : await api.reverify(REPLICABLE, found.modelRecordId);
        return { clientMutationId: input.clientMutationId ?? null, errors: [], registry: toRegistryNode(registry) };
      },
      async geoRegistriesBulkUpdate(_root: unknown, { input }: { input: BulkUpdateInput }, context) {
        if (!isAdmin(context.geoRole)) throw notAvailable();
        const answer = { clientMutationId: input.clientMutationId ?? null, registryClass: input.registryClass };
        if (deps.registries === undefined) return { ...answer, errors: [PRIMARY_HAS_NO_REGISTRIES_MESSAGE] };
        // GitLab keeps only each global id's model id (`parse_gid(...).model_id`), whatever its class.
        const filter = {
          replicableName: replicableOfClass(input.registryClass),
          ids: (input.ids ?? []).map((gid) => gid.id),
          state: toProtoSyncState(input.replicationState ?? undefined),
          verificationState: toProtoVerificationFilter(input.verificationState ?? undefined),
        };
        // GitLab runs the update in a background worker; the registry app's batched update is
        // synchronous, so the answer comes once every matching row changed.
        if (input.action === 'RESYNC_ALL') await deps.registries.resyncAll(filter);
        else await deps.registries.reverifyAll(filter);
        return { ...answer, errors: [] };
      },
    },
  };
}
