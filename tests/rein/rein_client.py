"""The deployed Rein command-line client's side of the wire, for the conformance suite.

Keys, ASCII-armoured documents and signatures are made with python-bitcoinlib, the Rein
client's own signing library, and requests go out as the client sends them: GET with
query parameters, and `/put` as a form (`requests.post(url, data=...)`) in the Rein shape
(`owner` + `signature_address` + `testnet`), signed by the delegate over
`key + value + delegate address + nonce` with the owner's nonce.
"""

import contextlib
import hashlib
import os
import secrets
import string
from dataclasses import dataclass, field

import bitcoin
import requests
from requests.adapters import HTTPAdapter
from bitcoin.core import b2x
from bitcoin.signmessage import BitcoinMessage, SignMessage
from bitcoin.wallet import CBitcoinSecret, P2PKHBitcoinAddress

TIMEOUT_SECS = 15
BEGIN_MESSAGE = "-----BEGIN BITCOIN SIGNED MESSAGE-----"
BEGIN_SIGNATURE = "-----BEGIN SIGNATURE-----"
END_MESSAGE = "-----END BITCOIN SIGNED MESSAGE-----"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@contextlib.contextmanager
def _chain(testnet):
    """python-bitcoinlib derives address prefixes from its global chain parameters."""
    if not testnet:
        yield
        return
    bitcoin.SelectParams("testnet")
    try:
        yield
    finally:
        bitcoin.SelectParams("mainnet")


class Key:
    """A compressed key from 32 random bytes and its P2PKH address, as Rein makes them."""

    def __init__(self, testnet=False):
        with _chain(testnet):
            self.secret = CBitcoinSecret.from_secret_bytes(os.urandom(32))
            self.address = str(P2PKHBitcoinAddress.from_pubkey(self.secret.pub))
        self.pubkey = b2x(self.secret.pub)

    def sign(self, message):
        """Base64 Bitcoin signed message over `message`, as `SignMessage` gives it."""
        return SignMessage(self.secret, BitcoinMessage(message)).decode("ascii")


def rein_key():
    """A storage key like the Rein client's: 32 random uppercase letters and digits."""
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(32))


def random_msin():
    """A Secure Identity Number: 35 random base58 characters."""
    return "".join(secrets.choice(BASE58) for _ in range(35))


def token(n=8):
    return secrets.token_hex(n // 2)


def armor(signer, lines, signature=None, trailing_newline=False):
    """The ASCII-armoured document: `lines` joined by newlines, signed by `signer`.

    `signature` replaces the genuine signature (a forgery); enrollments end with a newline.
    """
    body = "\n".join(lines)
    signature = signer.sign(body) if signature is None else signature
    text = f"{BEGIN_MESSAGE}\n{body}\n{BEGIN_SIGNATURE}\n{signer.address}\n{signature}\n{END_MESSAGE}"
    return text + "\n" if trailing_newline else text


def document_lines(title, fields):
    return [title] + [f"{name}: {value}" for name, value in fields]


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class User:
    """A Rein user: master (owner) key kept offline, delegate key for day-to-day signing."""

    name: str
    testnet: bool = False
    mediator: bool = True
    master: Key = None
    delegate: Key = None
    contact: str = ""
    msin: str = field(default_factory=random_msin)
    enrollment_key: str = field(default_factory=rein_key)

    def __post_init__(self):
        self.master = self.master or Key(self.testnet)
        self.delegate = self.delegate or Key(self.testnet)
        self.contact = self.contact or f"{self.name.split()[0].lower()}.{token()}@example.org"

    def enrollment_lines(self):
        fields = [
            ("User", self.name),
            ("Contact", self.contact),
            ("Master signing address", self.master.address),
            ("Secure Identity Number", self.msin),
            ("Delegate signing address", self.delegate.address),
            ("Willing to mediate", str(self.mediator)),
        ]
        if self.mediator:
            fields += [("Mediator public key", self.delegate.pubkey), ("Mediator fee", "1%")]
        if self.testnet:
            fields.append(("Testnet", "True"))
        return document_lines("Rein User Enrollment", fields)

    def enrollment(self):
        """The enrollment, signed by the MASTER key (it proves the delegate)."""
        return armor(self.master, self.enrollment_lines(), trailing_newline=True)

    def signed(self, title, fields):
        """A document of this user's, signed by the delegate."""
        return armor(self.delegate, document_lines(title, fields))


class _FromAddress(HTTPAdapter):
    """Connects from one loopback source address (all of 127.0.0.0/8 is the loopback)."""

    def __init__(self, source):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


_machine = {"address": "127.0.0.1", "count": 0}


def new_machine():
    """Sends every later request from a loopback address no earlier call used; returns it.

    The server limits each client address, and its defaults fit one person's Rein client.
    The suite is many people, so each test (and each module's setup) calls from an address
    of its own, as separate machines reach a public server.
    """
    _machine["count"] += 1
    count = _machine["count"]
    _machine["address"] = f"127.1.{count // 250}.{count % 250 + 1}"
    return _machine["address"]


def calling_address():
    """The loopback address requests go out from now."""
    return _machine["address"]


class Client:
    """HTTP calls exactly as the Rein client makes them, from `calling_address()`."""

    def __init__(self, base_url):
        self.base_url = base_url

    def _send(self, method, path, **kwargs):
        # One session per call, as `requests.get` itself does, bound to this test's address.
        with requests.Session() as session:
            session.mount("http://", _FromAddress(calling_address()))
            return session.request(method, f"{self.base_url}{path}", timeout=TIMEOUT_SECS,
                                   **kwargs)

    def get(self, path, params):
        return self._send("GET", path, params=params)

    def post_form(self, path, form):
        return self._send("POST", path, data=form)

    def request_bucket(self, user):
        return self.get("/request", {"owner": user.master.address,
                                     "delegate": user.delegate.address,
                                     "contact": user.contact})

    def nonce(self, user):
        answer = self.get("/nonce", {"address": user.master.address})
        assert answer.status_code == 200, answer.text
        return answer.json()["nonce"]

    def clear_nonce(self, user, nonce):
        return self.get("/nonce", {"address": user.master.address, "clear": nonce})

    @staticmethod
    def put_form(user, key, value, nonce):
        """The Rein put form: the delegate signs `key + value + delegate + nonce`."""
        signer = user.delegate.address
        return {
            "key": key,
            "value": value,
            "owner": user.master.address,
            "signature_address": signer,
            "nonce": nonce,
            "signature": user.delegate.sign(key + value + signer + nonce),
            "testnet": str(user.testnet),
        }

    def put(self, form):
        return self.post_form("/put", form)

    def sync(self, user, documents):
        """Puts each (key, value) signed with ONE nonce, then clears it, like a Rein sync.

        Returns the nonce and the (form, response) of each put.
        """
        nonce = self.nonce(user)
        results = []
        for key, value in documents:
            form = self.put_form(user, key, value, nonce)
            results.append((form, self.put(form)))
        cleared = self.clear_nonce(user, nonce)
        assert (cleared.status_code, cleared.json()) == (200, {"nonce": ""}), cleared.text
        return nonce, results

    def query(self, owner, kind, testnet="False", **params):
        return self.get("/query", {"owner": owner.master.address, "query": kind,
                                   "testnet": testnet, **params})
