// What an IMAP server serves of one account, in a form two servers can be compared by: every
// folder (hierarchy written with '/'), subscriptions, UIDVALIDITY, UIDNEXT and each message's
// UID, flags (without the session-bound \Recent), INTERNALDATE, RFC822.SIZE and a digest of its bytes.
import { python } from '../support/python.js';

export interface ImapMessage {
  uid: number;
  flags: string[];
  internalDate: number;
  size: number;
  sha256: string;
}

export interface ImapFolder {
  uidValidity: number;
  uidNext: number;
  messages: ImapMessage[];
}

export interface ImapSnapshot {
  folders: Record<string, ImapFolder>;
  subscribed: string[];
}

export function imapSnapshot(port: number, user: string, password: string, starttls: boolean): Promise<ImapSnapshot> {
  return python<ImapSnapshot>(
    `
import datetime, hashlib, imaplib, re
imap = imaplib.IMAP4('127.0.0.1', args['port'], timeout=20)
if args['starttls']:
    imap.starttls(ssl_context=tls)
imap.login(args['user'], args['password'])
LIST = re.compile(rb'\\((?P<attrs>[^)]*)\\) (?:"(?P<delim>[^"]*)"|NIL) (?P<name>.+)$')
def names(kind):
    typ, data = imap.list() if kind == 'LIST' else imap.lsub()
    found = []
    for line in data:
        if not line:
            continue
        m = LIST.match(line)
        name = m.group('name').decode()
        if name.startswith('"'):
            name = name[1:-1]
        delim = (m.group('delim') or b'/').decode()
        found.append((name, name.replace(delim, '/'), m.group('attrs')))
    return found
out['folders'] = {}
for raw, name, attrs in names('LIST'):
    if b'\\\\Noselect' in attrs or b'\\\\NonExistent' in attrs:
        continue
    typ, status = imap.status('"%s"' % raw, '(UIDVALIDITY UIDNEXT)')
    fields = dict(re.findall(rb'(UIDVALIDITY|UIDNEXT) (\\d+)', status[0]))
    imap.select('"%s"' % raw, readonly=True)
    messages = []
    typ, data = imap.uid('FETCH', '1:*', '(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])')
    for item in data:
        if not isinstance(item, tuple):
            continue
        head, body = item
        uid = int(re.search(rb'UID (\\d+)', head).group(1))
        flags = sorted(f for f in re.search(rb'FLAGS \\(([^)]*)\\)', head).group(1).decode().split() if f != '\\\\Recent')
        date = re.search(rb'INTERNALDATE "([^"]+)"', head).group(1).decode()
        when = datetime.datetime.strptime(date.strip(), '%d-%b-%Y %H:%M:%S %z').timestamp()
        size = int(re.search(rb'RFC822.SIZE (\\d+)', head).group(1))
        messages.append({'uid': uid, 'flags': flags, 'internalDate': int(when), 'size': size, 'sha256': hashlib.sha256(body).hexdigest()})
    imap.close()
    messages.sort(key=lambda m: m['uid'])
    out['folders'][name] = {'uidValidity': int(fields[b'UIDVALIDITY']), 'uidNext': int(fields[b'UIDNEXT']), 'messages': messages}
out['subscribed'] = sorted(name for raw, name, attrs in names('LSUB'))
imap.logout()
`,
    { port, user, password, starttls },
  );
}
