"""A throw-away self-signed TLS certificate for the SOAR sandbox's HTTPS and STOMP listeners."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_self_signed_cert(directory: str, common_name: str = "127.0.0.1") -> tuple[str, str]:
    """Write a fresh key and certificate for 127.0.0.1/localhost into `directory`; return both paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fn_slack SOAR sandbox")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(directory, "sandbox-cert.pem")
    key_path = os.path.join(directory, "sandbox-key.pem")
    with open(key_path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    with open(cert_path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


class SandboxCertificate:
    """A key pair made at start-up, with a server-side SSL context for each listener."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="soar-sandbox-tls-")
        self.cert_path, self.key_path = make_self_signed_cert(self._dir.name)

    def server_context(self) -> ssl.SSLContext:
        """A TLS server context that presents the sandbox certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        # No TLS 1.3 session tickets: stomp.py reads and writes one SSL socket from two threads, and a
        # ticket arriving while it sends CONNECT can swallow the frame; without tickets nothing arrives
        # unasked for right after the handshake.
        context.num_tickets = 0
        return context

    def cleanup(self) -> None:
        self._dir.cleanup()
