// The public site on listen.http/https: client autoconfiguration (Thunderbird, Outlook, Apple) and the MTA-STS policy.
import type { PosternConfig } from '@postern/config';
import type { Logger } from '@postern/log';
import type { Store } from '@postern/store';
import { autoconfigXml } from './autoconfig.js';
import { autodiscoverXml, requestedAddress } from './autodiscover.js';
import { localDomains } from './local-domain.js';
import { mailEndpoints } from './mail-servers.js';
import { MOBILECONFIG_CONTENT_TYPE, mobileconfigXml } from './mobileconfig.js';
import { MTA_STS_PATH, mtaStsPolicy, policyDomain } from './mta-sts.js';
import type { Reply, Route } from './reply.js';
import { HttpError, readBody, requestHost } from './request.js';

/** An Autodiscover POX request is a few hundred octets. */
const AUTODISCOVER_BODY_LIMIT = 16 * 1024;

const xml = (body: string, contentType = 'application/xml; charset=utf-8'): Reply => ({ status: 200, contentType, body });

export function clientConfigRoutes(config: PosternConfig, store: Store, tlsConfigured: boolean, logger: Logger): Map<string, Route> {
  const endpoints = mailEndpoints(config, tlsConfigured);
  const emailAddress = (url: URL): string | null => url.searchParams.get('emailaddress');

  const autoconfig: Route = {
    methods: ['GET'],
    async handle(req, url) {
      const { domains } = await localDomains(store, req, emailAddress(url));
      // Thunderbird refuses a file without an incoming or without an outgoing server: better none.
      if (!endpoints.some((e) => e.protocol === 'smtp') || !endpoints.some((e) => e.protocol !== 'smtp')) throw new HttpError(404, 'no IMAP/POP3 or no submission listener to configure');
      return xml(autoconfigXml(domains, endpoints));
    },
  };

  const autodiscover: Route = {
    methods: ['POST'],
    async handle(req) {
      const address = requestedAddress(await readBody(req, AUTODISCOVER_BODY_LIMIT));
      await localDomains(store, req, address);
      logger.info({ event: 'autodiscover', address }, `autodiscover for ${address}`);
      return xml(autodiscoverXml(address, endpoints), 'text/xml; charset=utf-8');
    },
  };

  const mobileconfig: Route = {
    methods: ['GET'],
    async handle(req, url) {
      const address = emailAddress(url);
      if (address === null) throw new HttpError(400, 'emailaddress= is required, e.g. /apple/profile.mobileconfig?emailaddress=alice@example.com');
      await localDomains(store, req, address);
      const profile = mobileconfigXml(address, config.hostname, endpoints);
      if (profile === null) throw new HttpError(404, 'no IMAP/POP3 and submission listener to configure');
      return { status: 200, contentType: MOBILECONFIG_CONTENT_TYPE, body: profile, headers: { 'content-disposition': 'attachment; filename="mail.mobileconfig"' } };
    },
  };

  const mtaSts: Route = {
    methods: ['GET'],
    async handle(req) {
      // RFC 8461 §3.3: the policy host is mta-sts.DOMAIN of a domain this server receives mail for.
      const domain = policyDomain(requestHost(req));
      if (domain === null || (await store.getDomain(domain)) === null) throw new HttpError(404, 'no MTA-STS policy for this host');
      return { status: 200, contentType: 'text/plain', body: mtaStsPolicy(config) };
    },
  };

  return new Map<string, Route>([
    // Thunderbird asks autoconfig.DOMAIN/mail/config-v1.1.xml?emailaddress=… and DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml.
    ['/mail/config-v1.1.xml', autoconfig],
    ['/.well-known/autoconfig/mail/config-v1.1.xml', autoconfig],
    // Outlook capitalises the path; paths are compared in lower case.
    ['/autodiscover/autodiscover.xml', autodiscover],
    ['/apple/profile.mobileconfig', mobileconfig],
    [MTA_STS_PATH, mtaSts],
  ]);
}
