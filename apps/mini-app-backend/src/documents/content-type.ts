/**
 * The type of an uploaded document, decided by its first bytes (magic numbers), never by its name or declared type.
 * A small table rather than the `file-type` package: file-type is ESM-only since v17 and cannot be resolved by this
 * workspace's CommonJS Jest/swc setup, and only three types are accepted anyway. Executables are recognised so the
 * refusal can say so.
 */
export type AcceptedDocumentType = 'application/pdf' | 'image/jpeg' | 'image/png';

export type SniffedType =
  | { kind: 'accepted'; mime: AcceptedDocumentType }
  | { kind: 'executable'; format: 'elf' | 'pe' | 'mach-o' | 'script' }
  | { kind: 'unknown' };

const startsWith = (bytes: Buffer, magic: readonly number[], offset = 0): boolean =>
  bytes.length >= offset + magic.length && magic.every((b, i) => bytes[offset + i] === b);

const PDF = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-
const JPEG = [0xff, 0xd8, 0xff];
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ELF = [0x7f, 0x45, 0x4c, 0x46];
const MZ = [0x4d, 0x5a];
const MACH_O = [
  [0xfe, 0xed, 0xfa, 0xce],
  [0xfe, 0xed, 0xfa, 0xcf],
  [0xce, 0xfa, 0xed, 0xfe],
  [0xcf, 0xfa, 0xed, 0xfe],
  [0xca, 0xfe, 0xba, 0xbe],
];
const SHEBANG = [0x23, 0x21]; // #!

export function sniffDocumentType(bytes: Buffer): SniffedType {
  if (startsWith(bytes, ELF)) return { kind: 'executable', format: 'elf' };
  if (startsWith(bytes, MZ)) return { kind: 'executable', format: 'pe' };
  if (MACH_O.some((m) => startsWith(bytes, m))) return { kind: 'executable', format: 'mach-o' };
  if (startsWith(bytes, SHEBANG)) return { kind: 'executable', format: 'script' };
  if (startsWith(bytes, PDF)) return { kind: 'accepted', mime: 'application/pdf' };
  if (startsWith(bytes, PNG)) return { kind: 'accepted', mime: 'image/png' };
  if (startsWith(bytes, JPEG)) return { kind: 'accepted', mime: 'image/jpeg' };
  return { kind: 'unknown' };
}
