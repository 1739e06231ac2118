"""A real SMTP server on loopback for the relay's tests (aiosmtpd), storing every message it accepts.

Usage: smtp.py MAILDIR. Prints `listening on 127.0.0.1:PORT` once it accepts connections, then serves
until killed. Each accepted message is written to MAILDIR/NNNNNN.eml (written to a temporary name and
renamed, so a reader never sees half a file), the envelope's recipients in NNNNNN.rcpt.

What it answers depends on the recipient's local part, so one server plays every case a test needs:
- `refuse...`  550 at RCPT (a permanent refusal: the relay must give up at once).
- `busy...`    451 at RCPT, always (a temporary refusal that never ends).
- `flaky...`   451 at RCPT for the first two attempts of each address, then accepted.
- `slow...`    the first message for each address is stored, then its answer is held back for
               SLOW_SECONDS (default 30): a relay killed meanwhile never hears that the server took
               it. Later messages for the address are answered at once, so the test that kills the
               relay can hold the answer far longer than a loaded machine could stall, and still see
               the resent copy accepted without waiting.
- `bounce...`  accepted, then found undeliverable, as a mail system finds out after accepting: a
               delivery status notification (RFC 3464: multipart/report with message/delivery-status
               and the returned headers) addressed to the envelope sender is written to NNNNNN.dsn.
Anything else is accepted at once.
"""

import asyncio
import os
import sys

from aiosmtpd.smtp import SMTP


class Store:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0
        self.tries = {}
        self.held = set()
        self.slow = float(os.environ.get("SLOW_SECONDS", "30"))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("refuse"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if local.startswith("busy"):
            return "451 4.3.0 mailbox busy, try again later"
        if local.startswith("flaky"):
            tries = self.tries.get(address, 0) + 1
            self.tries[address] = tries
            if tries <= 2:
                return "451 4.3.0 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = os.path.join(self.folder, "%06d" % self.count)
        with open(name + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(name + ".rcpt", "w") as f:
            f.write("\n".join(envelope.rcpt_tos))
        os.rename(name + ".tmp", name + ".eml")
        bounced = [r for r in envelope.rcpt_tos if r.split("@", 1)[0].lower().startswith("bounce")]
        if bounced:
            content = envelope.original_content or envelope.content
            with open(name + ".dsn.tmp", "wb") as f:
                f.write(notification(envelope.mail_from, bounced, content))
            os.rename(name + ".dsn.tmp", name + ".dsn")
        slow = [r for r in envelope.rcpt_tos if r.split("@", 1)[0].lower().startswith("slow")]
        if any(r not in self.held for r in slow):
            self.held.update(slow)
            await asyncio.sleep(self.slow)
        return "250 2.0.0 queued as %06d" % self.count


def notification(sender, recipients, content):
    """A delivery status notification of `content` for `recipients`, as an MTA returns it."""
    headers = content.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    status = "Reporting-MTA: dns; mx.test.example\r\n"
    for recipient in recipients:
        status += (
            "\r\nFinal-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <%s>: Recipient address rejected:\r\n"
            " User unknown in virtual mailbox table\r\n" % (recipient, recipient)
        )
    report = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.test.example>\r\n"
        "To: %s\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn-boundary"\r\n'
        "\r\n"
        "--dsn-boundary\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "Your message could not be delivered to one or more recipients.\r\n"
        "--dsn-boundary\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "%s"
        "--dsn-boundary\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        "%s\r\n"
        "--dsn-boundary--\r\n"
    ) % (sender, status, headers)
    return report.encode("utf-8")


async def serve(folder):
    handler = Store(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler), host="127.0.0.1", port=0)
    port = server.sockets[0].getsockname()[1]
    print("listening on 127.0.0.1:%d" % port, flush=True)
    async with server:
        await server.serve_forever()


def main():
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    asyncio.run(serve(folder))


if __name__ == "__main__":
    main()
