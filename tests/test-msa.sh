#!/bin/bash
# Mail helper for the Robot suites; the suites copy it to the node under test.
#
#   test-msa.sh send <to> <from>
#       Submits one message over SMTP to $MAIL_SERVER (default smtp://127.0.0.1:10587, the Mail
#       module's port for clients on the node). $SUBJECT, when set, is the subject; every
#       message gets its own Message-ID and a random token in the body.
#   test-msa.sh fill <host> <user> <folder> <count>
#       Appends <count> distinct messages (about 3 KB each) to <folder> of <user> over IMAP with
#       STARTTLS on <host>:$IMAP_PORT (default 143), logging in with the password in
#       $IMAP_PASSWORD; the folder is created when missing. The certificate is not checked:
#       test nodes have self-signed ones.
set -euo pipefail

usage() {
  sed -n '2,12p' "$0" >&2
  exit 2
}

random_token() {
  cat /proc/sys/kernel/random/uuid
}

send_one() {
  local to=${1:?} from=${2:?}
  local domain=${from#*@} token
  token=$(random_token)
  curl --silent --show-error --crlf --upload-file - \
    --url "${MAIL_SERVER:-smtp://127.0.0.1:10587}/${domain}" \
    --mail-from "$from" --mail-rcpt "$to" <<MESSAGE
From: <${from}>
To: <${to}>
Subject: ${SUBJECT:-Test ${token}}
Message-ID: <${token}@${domain}>
Date: $(date -R)
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"

Hello, this is a test email with the random token ${token}.
MESSAGE
}

fill_folder() {
  local host=${1:?} user=${2:?} folder=${3:?} count=${4:?}
  : "${IMAP_PASSWORD:?IMAP_PASSWORD must hold the password of ${user}}"
  python3 - "$host" "$user" "$folder" "$count" <<'PYTHON'
import email.utils
import imaplib
import os
import ssl
import sys
import uuid

host, user, folder, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
imap = imaplib.IMAP4(host, int(os.environ.get("IMAP_PORT", "143")))
imap.starttls(ssl_context=context)
imap.login(user, os.environ["IMAP_PASSWORD"])
imap.create(folder)  # "already exists" is fine
body = ("All work and no play makes a long mailbox. " * 2 + "\r\n") * 30
run = uuid.uuid4().hex
for number in range(count):
    message = (
        f"From: <bulk@example.org>\r\n"
        f"To: <{user}@example.org>\r\n"
        f"Subject: Bulk message {number}\r\n"
        f"Message-ID: <bulk-{run}-{number}@example.org>\r\n"
        f"Date: {email.utils.formatdate()}\r\n"
        f"\r\n{body}"
    )
    status, detail = imap.append(folder, None, None, message.encode())
    if status != "OK":
        sys.exit(f"APPEND {number} to {folder} failed: {detail}")
imap.logout()
PYTHON
}

case ${1:-} in
  send) shift; send_one "$@" ;;
  fill) shift; fill_folder "$@" ;;
  *) usage ;;
esac
