/**
 * A connection string fit for logs: scheme, hosts and database only. The
 * user info and the options (which may carry secrets such as
 * tlsCertificateKeyFilePassword) are dropped.
 */
export function displayUrl(url: string): string {
  return url.replace(/^(mongodb(?:\+srv)?:\/\/)[^@/?]*@/i, '$1').replace(/\?.*$/, '');
}
