/**
 * NuGet package id rule (NuGet.Client `PackageIdValidator`): word characters separated by single
 * `.` or `-`, at most 100 characters. `\w` is spelled out as .NET understands it (Unicode letters,
 * marks, digits, connector punctuation), since JavaScript's `\w` is ASCII only.
 */
const PACKAGE_ID = /^[\p{L}\p{Mn}\p{Nd}\p{Pc}]+(?:[.-][\p{L}\p{Mn}\p{Nd}\p{Pc}]+)*$/u;
export const MAX_PACKAGE_ID_LENGTH = 100;

/**
 * NuGet version syntax (SemVer 2 with up to four numeric parts, as `NuGetVersion.TryParse` accepts):
 * `1`, `1.2.3`, `1.2.3.4`, `1.2.3-beta.1+build`. nuget.org caps the string at 64 characters.
 */
const PACKAGE_VERSION = /^\d+(?:\.\d+){0,3}(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
export const MAX_PACKAGE_VERSION_LENGTH = 64;

export function isValidPackageId(id: string): boolean {
  return id.length <= MAX_PACKAGE_ID_LENGTH && PACKAGE_ID.test(id);
}

export function isValidPackageVersion(version: string): boolean {
  return version.length <= MAX_PACKAGE_VERSION_LENGTH && PACKAGE_VERSION.test(version);
}

/** Package ids compare case-insensitively (NuGet and GitLab). */
export function nugetIdsEqual(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * Versions compare after trimming, case-insensitively. Deliberately simpler than NuGet's full
 * normalisation (`1.0` = `1.0.0`, leading zeros, build metadata ignored): a `.snupkg` is built
 * together with its `.nupkg` and carries the identical version string, and GitLab matches on the
 * stored string as well. Revisit if pushes with re-formatted versions must match.
 */
export function nugetVersionsEqual(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
