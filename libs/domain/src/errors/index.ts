export { ErrorCodes, type ErrorCode } from './codes';
export {
  GeoError,
  isGeoError,
  ValidationError,
  InvalidTransitionError,
  NotFoundError,
  UnauthenticatedError,
  UnavailableError,
  ConfigError,
  type GeoErrorOptions,
} from './geo-error';
export { HTTP_STATUS_BY_ERROR_CODE, httpStatusFor } from './http-status';
export { errorFields, errorMessage } from './error-fields';
