// Ambient declarations for dependencies that ship no types.
declare module 'libmime' {
  const libmime: { decodeWords(value: string): string; encodeWords(value: string, encoding?: string, maxLength?: number): string };
  export default libmime;
}
