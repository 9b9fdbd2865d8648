// Ambient declarations for dependencies that ship no types.
declare module 'libmime' {
  const libmime: { decodeWords(value: string): string };
  export default libmime;
}
