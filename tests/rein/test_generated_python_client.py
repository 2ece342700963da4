"""A Python client generated from the committed openapi/causeway.json drives the server.

openapi-python-client (pinned in requirements.txt) generates the client into a temporary
directory; every generated module must import (0.29 used to generate a `put` that failed on
import), and the typed success and error models must parse what the release server on
PostgreSQL + Redis answers. Each test calls from a loopback address of its own, as the
suite's other tests do.
"""

import httpx
import pytest

from rein_client import Key, calling_address, rein_key


@pytest.fixture
def client(generated_client_package, causeway):
    package, _ = generated_client_package
    transport = httpx.HTTPTransport(local_address=calling_address())
    return package.Client(base_url=causeway, httpx_args={"transport": transport},
                          raise_on_unexpected_status=True)


def test_every_generated_module_imports(generated_client_package):
    _, modules = generated_client_package
    names = {module.__name__ for module in modules}
    for operation in ("storage.put_value", "storage.delete_value", "storage.get_value",
                      "accounts.get_nonce", "accounts.request_bucket", "payments.buy_bucket",
                      "payments.get_balance", "payments.get_deposit_address",
                      "rein.query_documents", "rein.query_bitcoin", "info.get_help",
                      "info.get_index", "info.get_info", "info.get_price", "info.get_status"):
        assert f"causeway_client.api.{operation}" in names, operation


def test_the_information_routes_parse_as_their_models(client):
    from causeway_client.api.info import get_help, get_index, get_info, get_price, get_status
    from causeway_client.models import HelpReply, PriceReply, StatusReply

    assert isinstance(get_index.sync(client=client), HelpReply)
    assert isinstance(get_help.sync(client=client), HelpReply)
    info = get_info.sync(client=client)
    assert isinstance(info, list) and all(isinstance(line, str) for line in info)
    price = get_price.sync(client=client)
    assert isinstance(price, PriceReply) and price.to_dict()
    assert isinstance(get_status.sync(client=client), StatusReply)


def test_an_account_stores_reads_and_deletes_through_the_generated_client(client):
    from causeway_client.api.accounts import get_nonce, request_bucket
    from causeway_client.api.storage import delete_value, get_value, put_value
    from causeway_client.models import (DeleteReply, ErrorBody, ErrorCode, FreeBucketReply,
                                        NonceReply, PairReply, PutReply, SeedPut, SeedPutForm,
                                        SignedDelete)

    owner = Key()
    granted = request_bucket.sync(client=client, owner=owner.address, contact="me@example.org")
    assert isinstance(granted, FreeBucketReply), granted
    nonce = get_nonce.sync(client=client, address=owner.address)
    assert isinstance(nonce, NonceReply) and len(nonce.nonce) == 32
    nonce = nonce.nonce

    # JSON body.
    key, value = rein_key(), "stored as JSON"
    stored = put_value.sync(client=client, body=SeedPut(
        key=key, value=value, address=owner.address, nonce=nonce,
        signature=owner.sign(key + value + owner.address + nonce)))
    assert isinstance(stored, PutReply) and stored.bytes_free > 0, stored
    # Form body: a schema of its own, so the form branch alone is sent.
    form_key, form_value = rein_key(), "stored as a form"
    stored = put_value.sync(client=client, body=SeedPutForm(
        key=form_key, value=form_value, address=owner.address, nonce=nonce,
        signature=owner.sign(form_key + form_value + owner.address + nonce)))
    assert isinstance(stored, PutReply), stored
    # A replay is refused with the typed error and its enum code.
    replay = put_value.sync_detailed(client=client, body=SeedPutForm(
        key=form_key, value=form_value, address=owner.address, nonce=nonce,
        signature=owner.sign(form_key + form_value + owner.address + nonce)))
    assert replay.status_code == 401
    assert isinstance(replay.parsed, ErrorBody) and replay.parsed.code is ErrorCode.REPLAYED

    # 200, then 304 with its ETag, then (after the delete) 404.
    read = get_value.sync_detailed(client=client, key=form_key)
    assert read.status_code == 200
    assert isinstance(read.parsed, PairReply) and read.parsed.value == form_value
    etag = read.headers["etag"]
    again = get_value.sync_detailed(client=client, key=form_key, if_none_match=etag)
    assert again.status_code == 304
    deleted = delete_value.sync(client=client, body=SignedDelete(
        key=form_key, address=owner.address, nonce=nonce,
        signature=owner.sign(form_key + owner.address + nonce)))
    assert isinstance(deleted, DeleteReply), deleted
    gone = get_value.sync_detailed(client=client, key=form_key)
    assert gone.status_code == 404
    assert isinstance(gone.parsed, ErrorBody) and gone.parsed.code is ErrorCode.NOT_FOUND

    # The owner clears its nonce when done.
    cleared = get_nonce.sync(client=client, address=owner.address, clear=nonce)
    assert isinstance(cleared, NonceReply) and cleared.nonce == ""


def test_a_delegate_stores_in_the_rein_shape_as_json_and_as_a_form(client):
    from causeway_client.api.accounts import get_nonce, request_bucket
    from causeway_client.api.storage import get_value, put_value
    from causeway_client.models import (ErrorBody, ErrorCode, FreeBucketReply, PairReply,
                                        PutReply, ReinPut, ReinPutForm)

    owner, delegate, stranger = Key(), Key(), Key()
    contact = "me@example.org"
    proof = owner.sign(owner.address + delegate.address + contact)
    granted = request_bucket.sync(client=client, owner=owner.address,
                                  delegate=delegate.address, contact=contact, signature=proof)
    assert isinstance(granted, FreeBucketReply) and granted.result == "success", granted
    nonce = get_nonce.sync(client=client, address=owner.address).nonce

    def rein_put(shape, key, value, signer):
        return shape(key=key, value=value, owner=owner.address,
                     signature_address=delegate.address, nonce=nonce,
                     signature=signer.sign(key + value + delegate.address + nonce))

    for shape in (ReinPut, ReinPutForm):
        key, value = rein_key(), f"stored by the delegate as {shape.__name__}"
        stored = put_value.sync(client=client, body=rein_put(shape, key, value, delegate))
        assert isinstance(stored, PutReply), (shape, stored)
        read = get_value.sync(client=client, key=key)
        assert isinstance(read, PairReply) and read.value == value
    # A stranger naming the delegate, without its key, is refused in either media type.
    for shape in (ReinPut, ReinPutForm):
        refused = put_value.sync_detailed(
            client=client, body=rein_put(shape, rein_key(), "not yours", stranger))
        assert refused.status_code == 401, refused.content
        assert isinstance(refused.parsed, ErrorBody)
        assert refused.parsed.code is ErrorCode.BAD_SIGNATURE


def test_a_stranger_with_the_generated_client_can_not_write_for_the_account(client):
    from causeway_client.api.accounts import get_nonce, request_bucket
    from causeway_client.api.storage import put_value
    from causeway_client.models import ErrorBody, ErrorCode, SeedPut

    owner, stranger = Key(), Key()
    request_bucket.sync(client=client, owner=owner.address, contact="me@example.org")
    nonce = get_nonce.sync(client=client, address=owner.address).nonce
    key, value = rein_key(), "not yours"
    refused = put_value.sync_detailed(client=client, body=SeedPut(
        key=key, value=value, address=owner.address, nonce=nonce,
        signature=stranger.sign(key + value + owner.address + nonce)))
    assert refused.status_code == 401
    assert isinstance(refused.parsed, ErrorBody)
    assert refused.parsed.code is ErrorCode.BAD_SIGNATURE


def test_every_query_kind_bitcoin_and_payments_parse_as_their_models(client):
    from causeway_client import models
    from causeway_client.api.accounts import request_bucket
    from causeway_client.api.payments import buy_bucket, get_balance, get_deposit_address
    from causeway_client.api.rein import query_bitcoin, query_documents
    from causeway_client.models import ErrorBody, ErrorCode

    owner = Key()
    request_bucket.sync(client=client, owner=owner.address, contact="me@example.org")
    kinds = {
        "mediators": {}, "jobs": {}, "bids": {},
        "deliveries": {"job_creator": owner.pubkey},
        "in-process": {"worker": owner.pubkey},
        "review": {"mediator": owner.pubkey},
        "by_job_id": {"job_ids": "A1,B2"},
        "dispute": {"job_ids": "A1"},
        "get_user_ratings": {"dest": owner.pubkey},
        "get_user_name": {"msin": "ABCDEFGHIJKLMNOPQRST"},
        "get_user": {"search_input": "priya"},
    }
    replies = tuple(getattr(models, name) for name in (
        "MediatorsReply", "JobsReply", "BidsReply", "DeliveriesReply", "InProcessReply",
        "ReviewReply", "ByJobIdReply", "DisputeReply", "UserRatingsReply",
        "UserRatingsErrorReply", "UserNameReply", "UserReply", "MessageReply"))
    for kind, extra in kinds.items():
        answer = query_documents.sync_detailed(client=client, owner=owner.address, query=kind,
                                               **extra)
        assert answer.status_code == 200, (kind, answer.content)
        assert isinstance(answer.parsed, replies), (kind, answer.parsed)
    unknown = query_documents.sync_detailed(client=client, owner=owner.address, query="nope")
    assert unknown.status_code == 400 and unknown.parsed.code is ErrorCode.BAD_REQUEST

    # No node is configured in this suite: the typed answer says so, with a contract code.
    block = query_bitcoin.sync_detailed(client=client, owner=owner.address, query="getbydepth",
                                        depth="12")
    assert block.status_code in (200, 501, 503), block.content
    if block.status_code != 200:
        assert isinstance(block.parsed, ErrorBody), block.parsed

    # Payments without a deposit key (test_generated_python_payments.py has one): a bucket
    # can still be bought (pending), the balance is read, and registering is refused with
    # the typed 501 and its code.
    from causeway_client.api.accounts import get_nonce
    from causeway_client.models import BalanceReply, BuyReply

    bought = buy_bucket.sync_detailed(client=client, address=owner.address)
    assert bought.status_code == 200 and isinstance(bought.parsed, BuyReply), bought.content
    nonce = get_nonce.sync(client=client, address=owner.address).nonce
    balance = get_balance.sync_detailed(client=client, address=owner.address, nonce=nonce,
                                        signature=owner.sign(owner.address + nonce))
    assert balance.status_code == 200 and isinstance(balance.parsed, BalanceReply)
    assert balance.parsed.balance == 0
    contact = "me@example.org"
    register = get_deposit_address.sync_detailed(
        client=client, address=owner.address, contact=contact,
        signature=owner.sign(contact + owner.address))
    assert register.status_code == 501 and isinstance(register.parsed, ErrorBody)
    assert register.parsed.code is ErrorCode.PAYMENTS_DISABLED
