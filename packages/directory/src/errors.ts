/** A refusal by the directory rules, worded for the person who asked (one line). */
export class DirectoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DirectoryError';
  }
}
