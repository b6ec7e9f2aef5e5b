// fast-check's `unit: "binary"`, with an inverse that does not cost 1.4 s. The built-in unit (every
// code point but the surrogate halves, U+0000-U+D7FF then U+E000-U+10FFFF, as fast-check 4's
// `fullAlphabetRanges`) unmaps a value through a Map of all 1,112,064 code points, which it builds
// the first time a `fc.string` over it computes its shrinking slices: about 1.4 s of CPU in every
// mocha worker that loads a property test using it (issue 13: the suite's time). This unit maps the
// same `fc.nat` index to the same code point (so a seed generates and shrinks to the same strings),
// and unmaps by arithmetic. tests/testkit/fast-check-units.test.ts checks the mapping at its edges.
import fc from "fast-check";

/** The last code point before the surrogate halves, and how many code points they take. */
const BEFORE_SURROGATES = 0xd7ff;
const SURROGATES = 0xe000 - 0xd800;
/** Code points of the unit: 0x110000 minus the surrogate halves. */
export const BINARY_UNIT_SIZE = 0x110000 - SURROGATES;

/** The unit's value for an index of its `fc.nat`. */
export function codePointOf(index: number): string {
  return String.fromCodePoint(index <= BEFORE_SURROGATES ? index : index + SURROGATES);
}

/** The index a value came from; throws for anything the unit cannot produce. */
export function indexOf(value: unknown): number {
  if (typeof value !== "string") throw new Error(`a binary unit is a string of one code point, got ${typeof value}`);
  const cp = value.codePointAt(0);
  if (cp === undefined || String.fromCodePoint(cp) !== value) throw new Error(`a binary unit is exactly one code point, got ${JSON.stringify(value)}`);
  if (cp > BEFORE_SURROGATES && cp < BEFORE_SURROGATES + 1 + SURROGATES) throw new Error(`U+${cp.toString(16).toUpperCase()} is a surrogate half`);
  return cp <= BEFORE_SURROGATES ? cp : cp - SURROGATES;
}

/** One code point, any but a surrogate half: fast-check's "binary" unit. */
export const binaryUnit: fc.Arbitrary<string> = fc.nat({ max: BINARY_UNIT_SIZE - 1 }).map(codePointOf, indexOf);

/** `fc.string({ unit: "binary", ...constraints })`, over `binaryUnit`. */
export function binaryString(constraints: Omit<fc.StringConstraints, "unit"> = {}): fc.Arbitrary<string> {
  return fc.string({ ...constraints, unit: binaryUnit });
}
