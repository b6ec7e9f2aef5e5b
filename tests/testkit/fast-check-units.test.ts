// testkit/fast-check-units.ts: the "binary" unit's mapping at the edges fast-check 4 defines it by
// (fullAlphabetRanges: U+0000-U+D7FF, then U+E000-U+10FFFF, in that order), its inverse, and the
// same values as fast-check's own construction (mapToConstant over those ranges) for a seed.
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { BINARY_UNIT_SIZE, binaryString, binaryUnit, codePointOf, indexOf } from "../../testkit/fast-check-units";

describe('testkit binary unit (fast-check\'s unit "binary" with an arithmetic inverse)', () => {
  it("has one value per code point outside the surrogate halves, in code point order", () => {
    assert.equal(BINARY_UNIT_SIZE, 1_112_064);
    assert.equal(codePointOf(0), "\u0000");
    assert.equal(codePointOf(0x41), "A");
    assert.equal(codePointOf(0xd7ff), "\ud7ff");
    assert.equal(codePointOf(0xd800), "\ue000", "the index after U+D7FF is U+E000");
    assert.equal(codePointOf(BINARY_UNIT_SIZE - 1), "\u{10ffff}");
  });

  it("unmaps every value to its index, and refuses what the unit cannot produce", () => {
    fc.assert(
      fc.property(fc.nat({ max: BINARY_UNIT_SIZE - 1 }), (i) => indexOf(codePointOf(i)) === i),
      { numRuns: 2000 },
    );
    for (const i of [0, 0xd7ff, 0xd800, BINARY_UNIT_SIZE - 1]) assert.equal(indexOf(codePointOf(i)), i);
    for (const half of ["\ud800", "\udbff", "\udc00", "\udfff"]) assert.throws(() => indexOf(half), /surrogate half/);
    for (const notOne of ["", "ab", "a\u0301", "\u{1f600}x"]) assert.throws(() => indexOf(notOne), /exactly one code point/);
    assert.throws(() => indexOf(65), /got number/);
    assert.equal(binaryUnit.canShrinkWithoutContext("\udfff"), false);
    assert.equal(binaryUnit.canShrinkWithoutContext("\u{10ffff}"), true);
  });

  it("generates for a seed exactly what fast-check's construction of the unit (mapToConstant over the same ranges) generates", () => {
    const reference = fc.mapToConstant(
      { num: 0xd7ff + 1, build: (i) => String.fromCodePoint(i) },
      { num: 0x10ffff - 0xe000 + 1, build: (i) => String.fromCodePoint(0xe000 + i) },
    );
    for (const seed of [1, 42, 2026]) assert.deepEqual(fc.sample(binaryUnit, { seed, numRuns: 500 }), fc.sample(reference, { seed, numRuns: 500 }));
    const cps = fc.sample(binaryUnit, { seed: 42, numRuns: 4000 }).map((v) => v.codePointAt(0)!);
    assert.ok(
      cps.some((cp) => cp < 0x80) && cps.some((cp) => cp >= 0xe000 && cp <= 0xffff) && cps.some((cp) => cp > 0xffff),
      "ASCII, BMP past the surrogates, astral",
    );
  });

  it("strings over it round-trip through the string arbitrary's own unmapper (its shrinking slices)", () => {
    const s = binaryString({ minLength: 1, maxLength: 60 });
    for (const v of fc.sample(s, { numRuns: 200, seed: 7 })) assert.ok(s.canShrinkWithoutContext(v), JSON.stringify(v));
    assert.equal(s.canShrinkWithoutContext(""), false, "minLength 1");
    assert.equal(s.canShrinkWithoutContext("a\ud800"), false, "a lone surrogate is not a binary-unit string");
  });
});
