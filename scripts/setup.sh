#!/usr/bin/env bash
# Sets up a checkout on a fresh Debian 12 machine with Node 20: pnpm, the
# Debian tools the test suites drive, the workspace's dependencies, and a build.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1; then
  # corepack fails against the registry mirror here; npm installs pnpm fine.
  npm install -g pnpm@10 >/dev/null
fi

# Debian packages the end-to-end suites use as real clients and peers (libxml2-utils: xmllint
# validates DMARC reports against RFC 7489 Appendix C in test/outbound/dmarc-reports.test.ts).
debian_packages=(openssl python3 mailutils dovecot-core dovecot-lmtpd dovecot-imapd swaks libnet-ssleay-perl postfix fetchmail isync offlineimap3 docker-compose opendkim-tools sieve-connect spamassassin spamd spamc rspamd fail2ban postgrey libxml2-utils)
# Debian 12 ships the spamd program in its own package, apart from spamassassin.
missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  # postfix must not start a system MTA on port 25: "No configuration".
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # fail2ban is here for fail2ban-regex (test/deploy/fail2ban.test.ts): its service must not ban anyone on this machine.
  if [[ " ${missing[*]} " == *" fail2ban "* ]]; then $sudo systemctl disable --now fail2ban >/dev/null 2>&1 || true; fi
  # postgrey is here for test/mta/policy-service.test.ts, which starts its own on a loopback port.
  if [[ " ${missing[*]} " == *" postgrey "* ]]; then $sudo systemctl disable --now postgrey >/dev/null 2>&1 || true; fi
fi
# crowdsec, for its time-machine replay in test/deploy/fail2ban.test.ts. Its post-install
# registers with the online CAPI and fails without internet, so it is not installed: the
# package is unpacked into .tools/crowdsec (binary, hub snapshot, patterns) and the test runs
# the binary from there.
if ! command -v crowdsec >/dev/null 2>&1 && [ ! -x .tools/crowdsec/usr/bin/crowdsec ]; then
  rm -rf .tools/crowdsec.download && mkdir -p .tools/crowdsec.download
  (cd .tools/crowdsec.download && apt-get download crowdsec >/dev/null 2>&1)
  dpkg-deb -x .tools/crowdsec.download/crowdsec_*.deb .tools/crowdsec
  rm -rf .tools/crowdsec.download
fi

# Every program a suite asks for with requireTool(t, 'tool', 'package') must now be
# on PATH (or in Debian's sbin directories, or unpacked in .tools): a missing install step fails here, on
# the developer's machine, not only on a fresh CI machine.
missing_tools=()
while IFS=$'\t' read -r tool pkg; do
  PATH="$PATH:/usr/sbin:/usr/local/sbin:$PWD/.tools/crowdsec/usr/bin" command -v "$tool" >/dev/null 2>&1 || missing_tools+=("$tool (Debian package $pkg)")
done < <(grep -rhoE "requireTool\(t, '[^']+', '[^']+'\)" --include='*.ts' packages apps test \
  | sed -E "s/requireTool\(t, '([^']+)', '([^']+)'\)/\1\t\2/" | sort -u)
if [ ${#missing_tools[@]} -gt 0 ]; then
  printf 'scripts/setup.sh: not installed: %s\n' "${missing_tools[@]}" >&2
  exit 1
fi

if [ -n "${CI:-}" ]; then
  pnpm install --frozen-lockfile
else
  pnpm install
fi
pnpm build
