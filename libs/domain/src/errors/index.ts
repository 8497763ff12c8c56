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
