import chardet from 'chardet'
import iconv from 'iconv-lite'

/** Text decoded from bytes, and the encoding that was used. */
export interface DecodedText {
  text: string
  /** The encoding used, lower-case (`utf-8`, `utf-16le`, `utf-16be`, `windows-1252`, ...). */
  encoding: string
}

/** How many bytes are inspected when guessing whether bytes are text and which encoding they use. */
const sampleSize = 64 * 1024

/**
 * The byte-order mark at the start of `bytes`, if any: UTF-8, UTF-16 LE/BE, UTF-32 LE/BE.
 * UTF-32 LE is checked before UTF-16 LE because its BOM starts with the UTF-16 LE one.
 */
export function byteOrderMark(bytes: Uint8Array): { encoding: string; length: number } | undefined {
  const [b0, b1, b2, b3] = bytes
  if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) return { encoding: 'utf-8', length: 3 }
  if (b0 === 0xff && b1 === 0xfe && b2 === 0 && b3 === 0) return { encoding: 'utf-32le', length: 4 }
  if (b0 === 0 && b1 === 0 && b2 === 0xfe && b3 === 0xff) return { encoding: 'utf-32be', length: 4 }
  if (b0 === 0xff && b1 === 0xfe) return { encoding: 'utf-16le', length: 2 }
  if (b0 === 0xfe && b1 === 0xff) return { encoding: 'utf-16be', length: 2 }
  return undefined
}

/**
 * Guesses UTF-16 without a BOM from where the NUL bytes are: text in Latin scripts encoded as
 * UTF-16 LE has a NUL in (almost) every odd byte and none in the even ones (BE the other way
 * round). Binary files have NULs scattered everywhere, so they do not match.
 */
export function utf16WithoutBom(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  const length = Math.min(bytes.length, sampleSize) & ~1
  if (length < 4) return undefined
  let evenNuls = 0
  let oddNuls = 0
  for (let index = 0; index < length; index += 2) {
    if (bytes[index] === 0) evenNuls++
    if (bytes[index + 1] === 0) oddNuls++
  }
  const pairs = length / 2
  if (oddNuls >= pairs * 0.4 && evenNuls <= pairs * 0.02) return 'utf-16le'
  if (evenNuls >= pairs * 0.4 && oddNuls <= pairs * 0.02) return 'utf-16be'
  return undefined
}

/**
 * True when the bytes do not look like text in any encoding we decode: NUL bytes (outside
 * UTF-16/32; a stray one per thousand bytes is tolerated) or many C0 control characters. Tab,
 * line feed, carriage return, form feed and escape are normal in text files.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  if (byteOrderMark(bytes) || utf16WithoutBom(bytes)) return false
  const length = Math.min(bytes.length, sampleSize)
  let nuls = 0
  let controls = 0
  for (let index = 0; index < length; index++) {
    const byte = bytes[index]!
    if (byte === 0) nuls++
    else if (
      byte < 0x20 &&
      byte !== 0x09 &&
      byte !== 0x0a &&
      byte !== 0x0d &&
      byte !== 0x0c &&
      byte !== 0x1b
    ) {
      controls++
    }
  }
  return length > 0 && (nuls > length / 1000 || (nuls + controls) / length > 0.05)
}

/** True when the bytes are valid UTF-8 (ASCII included). A sequence cut off by the sample end is allowed. */
function isValidUtf8(bytes: Uint8Array): boolean {
  const sample = bytes.length > sampleSize ? bytes.subarray(0, sampleSize) : bytes
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: bytes.length > sampleSize })
    return true
  } catch {
    return false
  }
}

/**
 * The name iconv-lite should use for a charset label, or undefined when it has no decoder for it.
 * ISO-8859-1 and US-ASCII are read as Windows-1252, its superset, as browsers do (WHATWG Encoding):
 * files labelled or guessed as Latin-1 are in practice Windows-1252 (curly quotes, the euro sign).
 */
function normalizeCharset(label: string | undefined): string | undefined {
  if (!label) return undefined
  const name = label
    .trim()
    .toLowerCase()
    .replace(/^["']|["']$/g, '')
  if (['iso-8859-1', 'iso8859-1', 'latin1', 'latin-1', 'us-ascii', 'ascii'].includes(name))
    return 'windows-1252'
  return iconv.encodingExists(name) ? name : undefined
}

/**
 * Decodes text bytes. Order: a byte-order mark; UTF-16 recognised by its NUL pattern; valid UTF-8;
 * the charset the source declared (HTTP header, HTML meta, MIME part); chardet's guess;
 * Windows-1252 as the last resort (every byte decodes).
 */
export function decodeText({
  bytes,
  declaredCharset,
}: {
  bytes: Uint8Array
  declaredCharset?: string | undefined
}): DecodedText {
  const bom = byteOrderMark(bytes)
  if (bom) {
    return {
      text: iconv.decode(Buffer.from(bytes.subarray(bom.length)), bom.encoding),
      encoding: bom.encoding,
    }
  }
  const utf16 = utf16WithoutBom(bytes)
  if (utf16) return { text: iconv.decode(Buffer.from(bytes), utf16), encoding: utf16 }
  if (isValidUtf8(bytes)) return { text: new TextDecoder('utf-8').decode(bytes), encoding: 'utf-8' }
  const declared = normalizeCharset(declaredCharset)
  if (declared && declared !== 'utf-8' && declared !== 'utf8') {
    return { text: iconv.decode(Buffer.from(bytes), declared), encoding: declared }
  }
  const guessed = normalizeCharset(chardet.detect(bytes.subarray(0, sampleSize)) ?? undefined)
  const encoding = guessed && !guessed.startsWith('utf') ? guessed : 'windows-1252'
  return { text: iconv.decode(Buffer.from(bytes), encoding), encoding }
}

/**
 * The charset an HTML document declares in its first 1,024 bytes (`<meta charset>` or
 * `<meta http-equiv="Content-Type" content="...; charset=...">`), per the HTML prescan.
 */
export function htmlDeclaredCharset(bytes: Uint8Array): string | undefined {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024))
  const match = /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)
  return match?.[1]
}
