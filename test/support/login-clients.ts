// Python imaplib, poplib and smtplib logins from a chosen loopback source address, for the python() helper
// (args: imap, pop3, submission ports; tls: the non-verifying context). Each returns the server's answer.
export const LOGIN_CLIENTS = `
import imaplib, poplib, smtplib, socket
plain_connect = socket.create_connection

def source(address):
    # imaplib and poplib take no source address: every connection they open comes from this one.
    def connect(to, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **rest):
        return plain_connect(to, timeout, (address, 0), **rest)
    socket.create_connection = connect

def imap_login(address, user, password):
    source(address)
    imap = imaplib.IMAP4('127.0.0.1', args['imap'], timeout=10)
    imap.starttls(ssl_context=tls)
    try:
        result = imap.login(user, password)[0]
    except imaplib.IMAP4.error as e:
        result = 'NO'
    imap.logout()
    return result

def pop_login(address, user, password):
    source(address)
    pop = poplib.POP3('127.0.0.1', args['pop3'], timeout=10)
    pop.stls(context=tls)
    try:
        pop.user(user)
        result = pop.pass_(password).decode()
    except poplib.error_proto as e:
        result = e.args[0].decode()
    pop.quit()
    return result

def smtp_plain(address, message):
    source(address)
    smtp = smtplib.SMTP('127.0.0.1', args['submission'], timeout=10)
    smtp.ehlo()
    smtp.starttls(context=tls)
    smtp.ehlo()
    try:
        code = smtp.auth('PLAIN', lambda challenge=None: message)[0]
    except smtplib.SMTPAuthenticationError as e:
        code = e.smtp_code
    smtp.quit()
    return code
`;
