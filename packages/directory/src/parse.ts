import { AddressError, parseAddress, parseAliasSource, parseDomain, type AliasSource, type ParsedAddress } from '@postern/address';
import { DirectoryError } from './errors.js';

// The directory reports address problems as its own errors so callers catch one type.
function rethrow<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AddressError) throw new DirectoryError(err.message);
    throw err;
  }
}

export const domainArg = (input: string): string => rethrow(() => parseDomain(input));
export const addressArg = (input: string): ParsedAddress => rethrow(() => parseAddress(input));
export const aliasSourceArg = (input: string): AliasSource => rethrow(() => parseAliasSource(input));
