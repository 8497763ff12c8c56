import { ValidationError, type LoggerPort } from '@geo/domain';
import { fromProtoVerificationState, toProtoVerificationState, wrapUnary, type GrpcServiceRegistration } from '@geo/grpc';
import { ChecksumServiceService, type ChecksumServiceServer, type ReplicableRef } from '@geo/proto';
import type { PrimaryVerificationApi } from '../primary/primary-verification-api';

function requireRef(ref: ReplicableRef | undefined): ReplicableRef {
  if (ref === undefined) throw new ValidationError('ref is required');
  return ref;
}

/** Checksums travel only with succeeded rows ("empty unless succeeded", checksum.proto). */
function wireChecksum(state: string, checksum: string | null): string {
  return state === 'verification_succeeded' ? (checksum ?? '') : '';
}

/** `geo.v1.ChecksumService` on the primary: thin handlers over `PrimaryVerificationApi`. */
export function primaryChecksumService(api: PrimaryVerificationApi, logger: LoggerPort): GrpcServiceRegistration {
  const implementation: ChecksumServiceServer = {
    verifyNow: wrapUnary(async (request) => {
      const ref = requireRef(request.ref);
      const row = await api.verifyNow(ref.replicableName, ref.modelRecordId);
      return {
        verificationState: toProtoVerificationState(row.verificationState),
        checksum: wireChecksum(row.verificationState, row.verificationChecksum),
        ...(row.verificationState === 'verification_failed' && row.verificationFailure !== null ? { verificationFailure: row.verificationFailure } : {}),
      };
    }, { logger }),
    getChecksums: wrapUnary(async (request) => {
      const rows = await api.getChecksums(request.replicableName, request.modelRecordIds);
      return {
        checksums: rows.map((row) => ({
          modelRecordId: row.modelId,
          verificationState: toProtoVerificationState(row.verificationState),
          checksum: wireChecksum(row.verificationState, row.checksum),
          verifiedAt: row.verifiedAt ?? undefined,
        })),
      };
    }, { logger }),
    reverify: wrapUnary(async (request) => {
      const ref = requireRef(request.ref);
      return { verificationState: toProtoVerificationState(await api.reverify(ref.replicableName, ref.modelRecordId)) };
    }, { logger }),
    reverifyAll: wrapUnary(async (request) => {
      const state = fromProtoVerificationState(request.verificationState);
      const affectedCount = await api.reverifyAll(request.replicableName, {
        ...(request.modelRecordIds.length > 0 ? { modelIds: request.modelRecordIds } : {}),
        ...(state === undefined ? {} : { state }),
      });
      return { affectedCount };
    }, { logger }),
  };
  return { definition: ChecksumServiceService, implementation };
}
