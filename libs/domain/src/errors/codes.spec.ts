import { ErrorCodes } from './codes';
import { GeoError, InvalidTransitionError, isGeoError } from './geo-error';

describe('ErrorCodes', () => {
  const entries = Object.entries(ErrorCodes);

  it('is not empty', () => {
    expect(entries.length).toBeGreaterThan(0);
  });

  it.each(entries)('%s = %s matches GEO_<area letter><4 digits>', (_name, code) => {
    expect(code).toMatch(/^GEO_[A-Z]\d{4}$/);
  });

  it('never gives two names the same code', () => {
    const codes = entries.map(([, code]) => code);
    const duplicates = codes.filter((code, i) => codes.indexOf(code) !== i);
    expect(duplicates).toEqual([]);
  });

  it('codes are recognised by isGeoError and carried by GeoError subclasses', () => {
    const err = new InvalidTransitionError('registry state', 'start', 'started');
    expect(err).toBeInstanceOf(GeoError);
    expect(err.code).toBe(ErrorCodes.INVALID_TRANSITION);
    expect(isGeoError(err)).toBe(true);
    expect(isGeoError(new Error('plain'))).toBe(false);
  });
});
