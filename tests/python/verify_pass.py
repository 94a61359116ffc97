"""Verifies an HC1 pass with an implementation independent of healthpass.

Usage: verify_pass.py CERTIFICATE.pem < passes.txt  (one HC1 text per line)
Prints one JSON object per pass: {"signature_valid", "kid_matches", "iss", "iat", "exp", "dcc"}.
"""
import json
import sys
import zlib

import base45
import cbor2
from cose.headers import KID
from cose.keys import CoseKey
from cose.keys.curves import P256
from cose.keys.keyops import VerifyOp
from cose.keys.keyparam import EC2KpCurve, EC2KpX, EC2KpY, KpKeyOps, KpKty
from cose.keys.keytype import KtyEC2
from cose.messages import Sign1Message
from cryptography import x509
from cryptography.hazmat.primitives import hashes


def signer(path):
    certificate = x509.load_pem_x509_certificate(open(path, "rb").read())
    numbers = certificate.public_key().public_numbers()
    key = CoseKey.from_dict({
        KpKty: KtyEC2,
        EC2KpCurve: P256,
        KpKeyOps: [VerifyOp],
        EC2KpX: numbers.x.to_bytes(32, "big"),
        EC2KpY: numbers.y.to_bytes(32, "big"),
    })
    kid = certificate.fingerprint(hashes.SHA256())[:8]
    return key, kid


def plain(value):
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def main():
    key, kid = signer(sys.argv[1])
    for line in sys.stdin:
        text = line.strip()
        if not text:
            continue
        assert text.startswith("HC1:"), "missing HC1: prefix"
        cose = zlib.decompress(base45.b45decode(text[4:]))
        message = Sign1Message.decode(cose)
        message.key = key
        claims = cbor2.loads(message.payload)
        given_kid = message.phdr.get(KID) or message.uhdr.get(KID)
        print(json.dumps({
            "signature_valid": bool(message.verify_signature()),
            "kid_matches": given_kid == kid,
            "iss": claims.get(1),
            "iat": claims.get(6),
            "exp": claims.get(4),
            "dcc": plain(claims[-260][1]),
        }, ensure_ascii=False))


if __name__ == "__main__":
    main()
