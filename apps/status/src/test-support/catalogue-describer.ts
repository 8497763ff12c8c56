import { status as GrpcStatus, type handleUnaryCall } from '@grpc/grpc-js';
import { UnauthenticatedError } from '@geo/domain';
import { parseGeoAuthorization, toProtoSiteSettings, wrapUnary, type GrpcServiceRegistration } from '@geo/grpc';
import type { CatalogSite } from '@geo/pg';
import { RegistryCatalogServiceService, type GetReplicablesRequest, type GetReplicablesResponse, type RegistryCatalogServiceServer } from '@geo/proto';

/**
 * Test stand-in for the primary registry's `DescribeCatalog` (apps/registry, which an app may not
 * import): it answers with the caller's `geo_sites` settings, found by the access key of its GL-Geo
 * header (the signature is not checked; the real service's tests cover that). Used only by specs.
 */
export function catalogueDescriber(findSite: (accessKey: string) => Promise<CatalogSite | undefined>): GrpcServiceRegistration {
  const getReplicables: handleUnaryCall<GetReplicablesRequest, GetReplicablesResponse> = (_call, callback) =>
    callback({ code: GrpcStatus.UNIMPLEMENTED, details: 'test stand-in' }, null);
  const implementation: RegistryCatalogServiceServer = {
    listReplicables: (call) => call.emit('error', { code: GrpcStatus.UNIMPLEMENTED, details: 'test stand-in' }),
    getReplicables,
    describeCatalog: wrapUnary(async (_request, call) => {
      const [header] = call.metadata.get('authorization');
      const site = await findSite(parseGeoAuthorization(typeof header === 'string' ? header : undefined).accessKey);
      if (site === undefined) throw new UnauthenticatedError('unknown site');
      return { site: toProtoSiteSettings(site), maxModelRecordId: 0 };
    }),
  };
  return { definition: RegistryCatalogServiceService, implementation };
}
