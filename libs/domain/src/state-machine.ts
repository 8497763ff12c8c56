import { ErrorCodes } from './errors/codes';
import { GeoError } from './errors/geo-error';
import type { JitterSource } from './registry/backoff';

/**
 * Plumbing shared by the sync and verification state machines: how states are stored, what a
 * transition rule looks like, and the inputs (time, randomness) that keep transitions pure.
 */

/** Time and randomness are inputs so transitions stay pure and testable. */
export interface TransitionContext {
  readonly now: Date;
  readonly random: JitterSource;
}

/** One event's explicit from-states and its target state. */
export interface TransitionRule<S extends string> {
  readonly from: readonly S[];
  readonly to: S;
}

/** Encoding of a state enum stored as smallint (GitLab `STATE_VALUES`): values never change meaning. */
export interface SmallintEnum<S extends string> {
  /** State names in declaration order. */
  readonly names: readonly S[];
  encode(state: S): number;
  /** Decodes a stored smallint; an unknown value means a corrupt row or a newer schema (a bug here). */
  decode(value: number): S;
}

export function smallintEnum<const V extends Readonly<Record<string, number>>>(column: string, values: V): SmallintEnum<keyof V & string> {
  type S = keyof V & string;
  const names = Object.keys(values) as S[];
  return {
    names,
    encode: (state) => values[state] as number,
    decode(value) {
      const name = names.find((n) => values[n] === value);
      if (name === undefined) throw new GeoError(ErrorCodes.INTERNAL, `unknown ${column} value ${value}`);
      return name;
    },
  };
}
