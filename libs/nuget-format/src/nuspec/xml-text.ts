const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Decodes the five predefined XML entities and numeric character references in a text value.
 * The parser runs with entity processing off (no DTD, no expansion), so this small decoder is all
 * a nuspec gets; any other named reference is an error, as it would be in a well-formed document
 * without a DTD. Returns undefined for an unknown entity or an invalid code point.
 */
export function decodeXmlText(text: string): string | undefined {
  let invalid = false;
  const decoded = text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z_][\w.-]*);/g, (_match, ref: string) => {
    if (ref.startsWith('#')) {
      const codePoint = ref.startsWith('#x') ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      if (!isXmlChar(codePoint)) {
        invalid = true;
        return '';
      }
      return String.fromCodePoint(codePoint);
    }
    const value = PREDEFINED_ENTITIES[ref];
    if (value === undefined) invalid = true;
    return value ?? '';
  });
  return invalid ? undefined : decoded;
}

function isXmlChar(codePoint: number): boolean {
  return (
    codePoint === 0x9 ||
    codePoint === 0xa ||
    codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    (codePoint >= 0x10000 && codePoint <= 0x10ffff)
  );
}
