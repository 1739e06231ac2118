"""A real Web Push receiver on loopback for the relay's tests: it plays the push service and the
browser at once, holding the keys a browser would (RFC 8291), checking each push's VAPID signature
(RFC 8292) and decrypting its payload (aes128gcm, RFC 8188) before it keeps it.

Usage: push.py INBOX [SUBSCRIPTIONS]. Makes SUBSCRIPTIONS (default 1) subscriptions, each with a P-256
key pair and an auth secret of its own, and prints one JSON line once it accepts connections:
`{"port": P, "subscriptions": [{"endpoint", "keys": {"p256dh", "auth"}}, ...]}` — what
`PushSubscription.toJSON()` gives a page. Each accepted push is written to INBOX/NNNNNN.json (to a
temporary name, then renamed: a reader never sees half a file) with the subscription's number, the
decrypted payload, the TTL, Urgency and Topic headers, the VAPID key and contact, and the time it
arrived (Unix milliseconds). A push whose signature or encryption does not check is answered 401 or
400 and kept in INBOX/rejected.log with the reason.

What it answers depends on the endpoint's last path part, so one receiver plays every case:
- `/push/N`        201 (accepted).
- `/gone/N`        410 (the browser unsubscribed: the relay must forget the subscription).
- `/flaky/N`       503 for the first two pushes to it, then 201.
- `/refusing/N`    413 always (refused for good: the relay must not push there again for the job); each
                   push to it is noted in INBOX/rejected.log.
"""

import base64
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Receiver:
    def __init__(self, inbox, count):
        self.inbox = inbox
        self.lock = threading.Lock()
        self.accepted = 0
        self.tries = {}
        self.keys = []
        for _ in range(count):
            private = ec.generate_private_key(ec.SECP256R1())
            public = private.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
            self.keys.append((private, public, os.urandom(16)))

    def subscriptions(self, port):
        return [
            {
                "endpoint": f"http://127.0.0.1:{port}/push/{n}",
                "keys": {"p256dh": b64url(public), "auth": b64url(auth)},
            }
            for n, (_, public, auth) in enumerate(self.keys)
        ]

    def reject(self, reason):
        with self.lock:
            with open(os.path.join(self.inbox, "rejected.log"), "a") as log:
                log.write(reason + "\n")

    def keep(self, record):
        with self.lock:
            self.accepted += 1
            name = os.path.join(self.inbox, f"{self.accepted:06d}.json")
            with open(name + ".tmp", "w") as file:
                json.dump(record, file)
            os.rename(name + ".tmp", name)

    def attempt(self, path):
        with self.lock:
            self.tries[path] = self.tries.get(path, 0) + 1
            return self.tries[path]


def check_vapid(authorization, audience):
    """The VAPID claims if the header's JWT is signed by its key and names this receiver."""
    if not authorization.startswith("vapid "):
        raise ValueError("no vapid authorization")
    fields = dict(
        part.strip().split("=", 1) for part in authorization[len("vapid ") :].split(",")
    )
    token, key = fields["t"], fields["k"]
    head, claims, signature = token.split(".")
    if json.loads(unb64url(head)).get("alg") != "ES256":
        raise ValueError("not ES256")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    raw = unb64url(signature)
    if len(raw) != 64:
        raise ValueError("signature is not r||s")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise ValueError("bad signature")
    claims = json.loads(unb64url(claims))
    now = time.time()
    if claims.get("aud") != audience:
        raise ValueError(f"aud {claims.get('aud')!r} is not {audience!r}")
    if not now < claims.get("exp", 0) <= now + 24 * 3600:
        raise ValueError("exp not within 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise ValueError("no sub contact")
    return key, claims["sub"]


def handler(receiver):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status):
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parts = self.path.strip("/").split("/")
            if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) >= len(receiver.keys):
                return self.answer(404)
            kind, number = parts[0], int(parts[1])
            if kind == "gone":
                return self.answer(410)
            if kind == "flaky" and receiver.attempt(self.path) <= 2:
                return self.answer(503)
            if kind == "refusing":
                receiver.reject(f"{self.path} refused")
                return self.answer(413)
            audience = f"http://127.0.0.1:{self.server.server_address[1]}"
            try:
                key, contact = check_vapid(self.headers.get("Authorization", ""), audience)
            except Exception as error:
                receiver.reject(f"{self.path} vapid: {error}")
                return self.answer(401)
            if self.headers.get("Content-Encoding") != "aes128gcm":
                receiver.reject(f"{self.path} encoding: {self.headers.get('Content-Encoding')}")
                return self.answer(400)
            private, _, auth = receiver.keys[number]
            try:
                payload = http_ece.decrypt(
                    body, private_key=private, auth_secret=auth, version="aes128gcm"
                )
            except Exception as error:
                receiver.reject(f"{self.path} decrypt: {error}")
                return self.answer(400)
            receiver.keep(
                {
                    "subscription": number,
                    "endpoint_kind": kind,
                    "payload": json.loads(payload),
                    "ttl": self.headers.get("TTL"),
                    "urgency": self.headers.get("Urgency"),
                    "topic": self.headers.get("Topic"),
                    "vapid_key": key,
                    "contact": contact,
                    "received_ms": int(time.time() * 1000),
                }
            )
            self.answer(201)

    return Handler


class Server(ThreadingHTTPServer):
    # The default backlog of 5 drops connection attempts when the relay pushes many at once, and the
    # kernel retries them only after a second: a push service is not that small.
    request_queue_size = 256
    daemon_threads = True


def main():
    inbox = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    os.makedirs(inbox, exist_ok=True)
    receiver = Receiver(inbox, count)
    server = Server(("127.0.0.1", 0), handler(receiver))
    port = server.server_address[1]
    print(json.dumps({"port": port, "subscriptions": receiver.subscriptions(port)}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
