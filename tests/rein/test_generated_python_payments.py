"""Paying for hosting through the Python client generated from openapi/causeway.json.

A server of this module's own runs with a deposit xpub (the BIP-32 test vector's m/0H, as
in tests/paid_hosting_end_to_end.rs), so payments are enabled. With the generated client an
owner registers and gets its deposit address (`/address`, signed over `contact + address`),
reads its balance (`/balance`, signed over `address + nonce`), is credited by the operator's
`causeway credit` command on the same database, buys a bucket paid from the balance at once
(`/buy`, signed over `address + contact + nonce`) and sees the balance drop by the price.
A stranger, holding no key of the account, gets the typed `ErrorBody` with its `ErrorCode`
from each of those routes and can not make the account spend. Every answer must parse as
its route's generated model. Each test calls from a loopback address of its own.
"""

import json

import httpx
import pytest
from bitcoin.wallet import CBitcoinAddress, P2WPKHBitcoinAddress

from conftest import running_causeway
from rein_client import Key, calling_address

DEPOSIT_XPUB = ("xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFU"
                "HCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw")
BUCKET_BYTES = 1_048_576


@pytest.fixture(scope="module")
def paid_causeway():
    """A server of this module's own with payments enabled."""
    with running_causeway({"CAUSEWAY_DEPOSIT_XPUB": DEPOSIT_XPUB}) as server:
        yield server


@pytest.fixture
def client(generated_client_package, paid_causeway):
    package, _ = generated_client_package
    transport = httpx.HTTPTransport(local_address=calling_address())
    return package.Client(base_url=paid_causeway.url, httpx_args={"transport": transport},
                          raise_on_unexpected_status=True)


def _status(bucket):
    """A bucket's status as text, whether the generated model types it as str or enum."""
    return getattr(bucket.status, "value", bucket.status)


def _fresh_nonce(client, account):
    from causeway_client.api.accounts import get_nonce
    from causeway_client.models import NonceReply

    reply = get_nonce.sync(client=client, address=account.address)
    assert isinstance(reply, NonceReply) and len(reply.nonce) == 32, reply
    return reply.nonce


def _register(client, owner, contact):
    """The owner's signed `/address`; returns the deposit address."""
    from causeway_client.api.payments import get_deposit_address
    from causeway_client.models import AddressReply

    answer = get_deposit_address.sync_detailed(
        client=client, contact=contact, address=owner.address,
        signature=owner.sign(contact + owner.address))
    assert answer.status_code == 200, answer.content
    assert isinstance(answer.parsed, AddressReply), answer.parsed
    return answer.parsed.address


def _balance(client, owner):
    """The owner's signed `/balance`, on a fresh nonce (a signature is accepted once)."""
    from causeway_client.api.payments import get_balance
    from causeway_client.models import BalanceReply

    nonce = _fresh_nonce(client, owner)
    answer = get_balance.sync_detailed(client=client, address=owner.address, nonce=nonce,
                                       signature=owner.sign(owner.address + nonce))
    assert answer.status_code == 200, answer.content
    assert isinstance(answer.parsed, BalanceReply), answer.parsed
    return answer.parsed.balance


def _price(client):
    from causeway_client.api.info import get_price
    from causeway_client.models import PriceReply

    price = get_price.sync(client=client)
    assert isinstance(price, PriceReply) and price.price > 0, price
    return price.price


def _credit(server, account, sats):
    """The operator's `causeway credit ADDRESS SATS --memo test` on the server's database."""
    done = server.command("credit", account.address, str(sats), "--memo", "test")
    assert done.returncode == 0, f"credit failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _assert_refused(answer, status, code):
    from causeway_client.models import ErrorBody

    assert answer.status_code == status, answer.content
    assert isinstance(answer.parsed, ErrorBody), answer.parsed
    assert answer.parsed.code is code, answer.parsed
    assert answer.parsed.result == "error" and answer.parsed.error


def test_an_owner_registers_is_credited_and_buys_a_bucket_with_the_generated_client(
        client, paid_causeway):
    from causeway_client.api.accounts import request_bucket
    from causeway_client.api.payments import buy_bucket
    from causeway_client.models import BuyReply, FreeBucketReply

    owner, contact = Key(), "owner@example.org"

    # /address: a mainnet P2WPKH deposit address, the same one each time it is asked.
    deposit = _register(client, owner, contact)
    assert isinstance(CBitcoinAddress(deposit), P2WPKHBitcoinAddress), deposit
    assert deposit.startswith("bc1q"), deposit
    assert _register(client, owner, contact) == deposit

    # A free bucket first, so the bought one has to be told apart from it.
    granted = request_bucket.sync(client=client, owner=owner.address, contact=contact)
    assert isinstance(granted, FreeBucketReply) and granted.result == "success", granted
    free_ids = {bucket.id for bucket in granted.buckets}
    assert len(free_ids) == 1

    # /balance: nothing paid in yet.
    assert _balance(client, owner) == 0

    # The operator credits more than one bucket's price.
    price = _price(client)
    extra = 1_234
    credited = _credit(paid_causeway, owner, price + extra)
    assert credited == {"address": owner.address, "balance": price + extra}, credited
    assert _balance(client, owner) == price + extra

    # A signed /buy: the balance pays and the new bucket is active at once.
    nonce = _fresh_nonce(client, owner)
    answer = buy_bucket.sync_detailed(client=client, address=owner.address, contact=contact,
                                      nonce=nonce,
                                      signature=owner.sign(owner.address + contact + nonce))
    assert answer.status_code == 200, answer.content
    bought = answer.parsed
    assert isinstance(bought, BuyReply), bought
    assert bought.result == "success"
    assert bought.address == deposit
    assert bought.price_sats == price
    assert bought.price == f"{price // 100_000_000}.{price % 100_000_000:08d}"
    new = [bucket for bucket in bought.buckets if bucket.id not in free_ids]
    assert len(new) == 1 and len(bought.buckets) == 2, bought.buckets
    assert _status(new[0]) == "active", new[0]
    assert new[0].bytes_free == BUCKET_BYTES, new[0]

    # The balance is lower by exactly the price.
    assert _balance(client, owner) == extra


def test_a_stranger_with_the_generated_client_can_not_register_read_or_spend_for_the_account(
        client, paid_causeway):
    from causeway_client.api.accounts import request_bucket
    from causeway_client.api.payments import buy_bucket, get_balance, get_deposit_address
    from causeway_client.models import BuyReply, ErrorCode, FreeBucketReply

    owner, stranger, contact = Key(), Key(), "owner@example.org"
    deposit = _register(client, owner, contact)
    granted = request_bucket.sync(client=client, owner=owner.address, contact=contact)
    assert isinstance(granted, FreeBucketReply), granted
    price = _price(client)
    assert _credit(paid_causeway, owner, price)["balance"] == price

    # /address for the owner's account, signed by the stranger's key: refused, typed.
    thief = "thief@example.org"
    _assert_refused(get_deposit_address.sync_detailed(
        client=client, contact=thief, address=owner.address,
        signature=stranger.sign(thief + owner.address)), 401, ErrorCode.BAD_SIGNATURE)

    # /balance: a nonce of the account is public, a signature over it is not.
    nonce = _fresh_nonce(client, owner)
    _assert_refused(get_balance.sync_detailed(
        client=client, address=owner.address, nonce=nonce,
        signature=stranger.sign(owner.address + nonce)), 401, ErrorCode.BAD_SIGNATURE)

    # A /buy signed by the stranger with the owner's nonce: refused before anything is made.
    nonce = _fresh_nonce(client, owner)
    _assert_refused(buy_bucket.sync_detailed(
        client=client, address=owner.address, contact=thief, nonce=nonce,
        signature=stranger.sign(owner.address + thief + nonce)), 401, ErrorCode.BAD_SIGNATURE)

    # An unsigned /buy leaves a pending bucket the balance does not pay, and asked again
    # returns that same pending bucket rather than a second one.
    free_ids = {bucket.id for bucket in granted.buckets}
    pending_ids = []
    for _ in range(2):
        answer = buy_bucket.sync_detailed(client=client, address=owner.address)
        assert answer.status_code == 200, answer.content
        assert isinstance(answer.parsed, BuyReply), answer.parsed
        assert answer.parsed.address == deposit
        new = [bucket for bucket in answer.parsed.buckets if bucket.id not in free_ids]
        assert [_status(bucket) for bucket in new] == ["pending"], answer.parsed.buckets
        pending_ids.append(new[0].id)
    assert pending_ids[0] == pending_ids[1], pending_ids

    # The owner's money is untouched, and its own key still reads it.
    assert _balance(client, owner) == price

    # The stranger's own account gets an address of its own.
    assert _register(client, stranger, thief) != deposit
