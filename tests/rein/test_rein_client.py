"""Causeway driven exactly as the deployed Rein command-line client drives it.

Users are made as Rein makes them (master and delegate keys from 32 random bytes, mainnet
or testnet P2PKH, compressed), ask for a free bucket with `/request`, and sync their
ASCII-armoured documents the Rein way: one nonce of the owner's, each `/put` a form
signed by the delegate, the enrollment first (it proves the delegate), then the nonce
cleared. The documents are read back with `/get` and found again with every `/query`
kind of API.md, which must return the right documents and none of the others: another
user's, another network's, forged ones, or ones a parameter would reach only as a
pattern.
"""

import concurrent.futures
import datetime
from dataclasses import dataclass, field

import pytest

from rein_client import (Client, Key, User, armor, document_lines, new_machine, rein_key, sha256,
                         token)

ACCOUNT_REQUIRED = {"result": "error", "message": "Account required to make queries"}

# Field values that are special to LIKE, regular expressions, SQL quoting or escaping.
# Each is stored in a delivery as its Job ID, Worker and Job creator public key.
HOSTILE_VALUES = [
    "%", "_", "\\", "'", '"', "100%", "a_c", "abc", "back\\slash", "it's", 'say "hi"',
    "%'; DROP TABLE pairs; --", "[a]bc", ".*",
]
# Not stored: each would find stored values if it were taken as a pattern.
PATTERN_PROBES = [
    "%%", "a%", "a%c", "___", "ab_", "\\%", "\\_", "1__%", "%abc%", "a.c", "^abc$",
    "[ab]bc", "abc|%", "ab", "back\\\\slash", "%'", "'%",
]


@dataclass
class Party:
    """One Rein user and the documents it synced: name -> (key, value)."""

    user: User
    job_id: str
    mediator_key: Key = field(default_factory=Key)
    worker_key: Key = field(default_factory=Key)
    docs: dict = field(default_factory=dict)
    bucket_answer: dict = None
    sync_nonce: str = ""
    sync_results: list = field(default_factory=list)

    def value(self, name):
        return self.docs[name][1]

    def key(self, name):
        return self.docs[name][0]


@dataclass
class Market:
    """Everything the module's tests read: parties, forgeries and hostile documents."""

    client: Client
    alice: Party
    bob: Party
    tess: Party
    hal: Party
    stored: dict = field(default_factory=dict)  # every key put -> value
    forged_job_id: str = ""


def job_fields(party):
    user = party.user
    return [
        ("Job name", f"Field guide plates {party.job_id}"),
        ("Job ID", party.job_id),
        ("Tags", "illustration, print"),
        ("Description", "Twelve ink and watercolour plates, 600 dpi, layered TIFF."),
        ("Expiration (days)", "30"),
        ("Mediator", "Some Mediator"),
        ("Mediator contact", "mediator@example.org"),
        ("Mediator fee", "1%"),
        ("Mediator public key", party.mediator_key.pubkey),
        ("Job creator", user.name),
        ("Job creator contact", user.contact),
        ("Job creator public key", user.delegate.pubkey),
        ("Job creator master address", user.master.address),
        ("Job creator delegate address", user.delegate.address),
    ]


def bid_fields(party, amount="0.25"):
    user = party.user
    return [
        ("Job name", f"Field guide plates {party.job_id}"),
        ("Worker", "Priya Raman"),
        ("Worker contact", "priya@example.org"),
        ("Description", "Twelve plates in six weeks."),
        ("Bid amount (BTC)", amount),
        ("Job ID", party.job_id),
        ("Job creator", user.name),
        ("Job creator public key", user.delegate.pubkey),
        ("Mediator public key", party.mediator_key.pubkey),
        ("Worker public key", party.worker_key.pubkey),
    ]


def delivery_fields(party):
    return [
        ("Job name", f"Field guide plates {party.job_id}"),
        ("Job ID", party.job_id),
        ("Deliverables", "All twelve plates and the caption sheet."),
        ("Bid amount (BTC)", "0.25"),
        ("Worker public key", party.worker_key.pubkey),
        ("Mediator public key", party.mediator_key.pubkey),
        ("Job creator public key", party.user.delegate.pubkey),
    ]


def offer_fields(party):
    return [
        ("Job name", f"Field guide plates {party.job_id}"),
        ("Job ID", party.job_id),
        ("Bid amount (BTC)", "0.25"),
        ("Worker public key", party.worker_key.pubkey),
        ("Mediator public key", party.mediator_key.pubkey),
        ("Job creator public key", party.user.delegate.pubkey),
    ]


def rating_fields(party, rated_msin):
    return [
        ("Rating", "5"),
        ("User msin", rated_msin),
        ("Job id", party.job_id),
        ("Rater msin", party.user.msin),
        ("Comments", "Plates arrived a week early. Would hire again."),
    ]


def new_party(name, testnet=False, mediator=True):
    return Party(User(name, testnet=testnet, mediator=mediator), job_id=token(20),
                 mediator_key=Key(testnet), worker_key=Key(testnet))


def sync(market, party, named_docs):
    """A Rein sync of (name, value) pairs under fresh Rein keys (the enrollment under its own)."""
    client = market.client
    pairs = []
    for name, value in named_docs:
        key = party.user.enrollment_key if name == "enrollment" else rein_key()
        party.docs[name] = (key, value)
        market.stored[key] = value
        pairs.append((key, value))
    nonce, results = client.sync(party.user, pairs)
    for form, answer in results:
        assert answer.status_code == 201, f"{form['key']}: {answer.status_code} {answer.text}"
    return nonce, results


def request_bucket(client, party):
    answer = client.request_bucket(party.user)
    assert answer.status_code == 200, answer.text
    party.bucket_answer = answer.json()
    assert party.bucket_answer["result"] == "success", answer.text


@pytest.fixture(scope="module")
def market(causeway):
    new_machine()  # the setup is one person's sync, from a machine of its own
    client = Client(causeway)
    alice = new_party(f"Alice Lindqvist {token()}")
    bob = new_party(f"Bob Okafor {token()}", mediator=False)
    tess = new_party(f"Tess Netherby {token()}", testnet=True)
    hal = new_party(f"Zed 100% _under_ back\\slash it's \"q\" {token()}", mediator=False)
    market = Market(client, alice, bob, tess, hal)
    for party in (alice, bob, tess, hal):
        request_bucket(client, party)

    # Alice's sync: enrollment first (signed by her master key), then her delegate's documents.
    a = alice.user
    alice.sync_nonce, alice.sync_results = sync(market, alice, [
        ("enrollment", a.enrollment()),
        ("job", a.signed("Rein Job", job_fields(alice))),
        ("bid", a.signed("Rein Bid", bid_fields(alice))),
        ("delivery", a.signed("Rein Delivery", delivery_fields(alice))),
        ("rating", a.signed("Rein Rating", rating_fields(alice, bob.user.msin))),
    ])

    # Bob: another job, keys and ids; an offer instead of a delivery.
    b = bob.user
    sync(market, bob, [
        ("enrollment", b.enrollment()),
        ("job", b.signed("Rein Job", job_fields(bob))),
        ("bid", b.signed("Rein Bid", bid_fields(bob))),
        ("offer", b.signed("Rein Offer", offer_fields(bob))),
        ("rating", b.signed("Rein Rating", rating_fields(bob, a.msin))),
    ])

    # Alice again: a job whose armour names her delegate but is signed by another key, her
    # bid with its amount changed after signing, and a value that is no armoured document.
    market.forged_job_id = token(20)
    forged_lines = document_lines("Rein Job", [("Job ID", market.forged_job_id),
                                               ("Job creator public key", a.delegate.pubkey)])
    forged = armor(a.delegate, forged_lines, signature=Key().sign("\n".join(forged_lines)))
    tampered = alice.value("bid").replace("Bid amount (BTC): 0.25", "Bid amount (BTC): 2.5")
    assert tampered != alice.value("bid")
    sync(market, alice, [
        ("forged_job", forged),
        ("tampered_bid", tampered),
        ("plain", f"Rein Job\nJob ID: {market.forged_job_id}"),
    ])

    # Tess runs the Rein client on testnet: testnet keys, testnet=True puts.
    t = tess.user
    sync(market, tess, [
        ("enrollment", t.enrollment()),
        ("job", t.signed("Rein Job", job_fields(tess))),
        ("delivery", t.signed("Rein Delivery", delivery_fields(tess))),
    ])

    # Hal's field values are LIKE wildcards, quotes and backslashes.
    docs = [("enrollment", hal.user.enrollment())]
    for i, value in enumerate(HOSTILE_VALUES):
        docs.append((f"hostile{i}", hal.user.signed("Rein Delivery", [
            ("Job ID", value), ("Worker public key", value), ("Job creator public key", value),
        ])))
    sync(market, hal, docs)
    return market


def found(market, party, kind, testnet="False", **params):
    """The documents a successful query returned (block_info checked on the way)."""
    answer = market.client.query(party.user, kind, testnet=testnet, **params)
    assert answer.status_code == 200, f"{kind}: {answer.status_code} {answer.text}"
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert body["result"] == "success", f"{kind}: {body}"
    assert "block_info" in body and body["block_info"] is None, body
    assert isinstance(body[kind], list), body
    return body[kind]


def keyed(party, name):
    return {"key": party.key(name), "value": party.value(name)}


# --- accounts, nonces and puts ---------------------------------------------------------


def test_users_have_compressed_p2pkh_keys_of_their_network(market):
    for party in (market.alice, market.bob, market.hal):
        for key in (party.user.master, party.user.delegate):
            assert key.address[0] == "1" and key.secret.is_compressed
            assert len(key.pubkey) == 66 and key.pubkey[:2] in ("02", "03")
    for key in (market.tess.user.master, market.tess.user.delegate):
        assert key.address[0] in "mn" and key.secret.is_compressed


def test_request_grants_a_new_owner_a_free_bucket_the_client_can_parse(market):
    for party in (market.alice, market.bob, market.tess, market.hal):
        buckets = party.bucket_answer["buckets"]
        assert len(buckets) == 1, party.bucket_answer
        bucket = buckets[0]
        assert set(bucket) >= {"id", "created", "expires", "status", "bytes_free",
                               "transfer_free"}, bucket
        assert bucket["status"] == "active"
        created = datetime.datetime.strptime(bucket["created"], "%Y-%m-%d %H:%M:%S")
        expires = datetime.datetime.strptime(bucket["expires"], "%Y-%m-%d %H:%M:%S")
        assert expires > created
        assert isinstance(bucket["id"], int) and bucket["bytes_free"] > 0


def test_one_nonce_signs_the_whole_sync_and_each_put_is_charged_its_bytes(market):
    alice = market.alice
    bucket = alice.bucket_answer["buckets"][0]
    free = bucket["bytes_free"]
    assert [form["nonce"] for form, _ in alice.sync_results] == [alice.sync_nonce] * 5
    for form, answer in alice.sync_results:
        body = answer.json()
        assert body["result"] == "success" and body["status"] == "success", body
        assert body["bucket"] == bucket["id"]
        free -= len((form["key"] + form["value"]).encode("utf-8"))
        assert body["bytes_free"] == free, (form["key"], body)


def test_a_cleared_nonce_is_neither_reissued_nor_accepted(market):
    client, alice = market.client, market.alice
    assert client.nonce(alice.user) != alice.sync_nonce
    form = client.put_form(alice.user, rein_key(), "late", alice.sync_nonce)
    answer = client.put(form)
    assert answer.status_code == 401, answer.text
    assert answer.json()["code"] == "bad_nonce", answer.text


def test_every_document_reads_back_byte_for_byte(market):
    assert len(market.stored) >= 20
    for key, value in market.stored.items():
        answer = market.client.get("/get", {"key": key})
        assert answer.status_code == 200, f"{key}: {answer.text}"
        body = answer.json()
        assert body["key"] == key
        assert sha256(body["value"]) == sha256(value), key


def test_a_delegate_is_proven_only_by_a_genuine_enrollment(causeway):
    client = Client(causeway)
    user = User(f"Mallory Quist {token()}")
    assert client.request_bucket(user).json()["result"] == "success"
    nonce = client.nonce(user)
    job = user.signed("Rein Job", [("Job ID", token(20))])
    # The delegate is only claimed by the unsigned /request: not yet authorized.
    answer = client.put(client.put_form(user, rein_key(), job, nonce))
    assert answer.status_code == 403 and answer.json()["code"] == "not_authorized", answer.text
    # An enrollment naming the delegate whose master signature is forged proves nothing.
    lines = user.enrollment_lines()
    forged = armor(user.master, lines, signature=Key().sign("\n".join(lines)),
                   trailing_newline=True)
    answer = client.put(client.put_form(user, rein_key(), forged, nonce))
    assert answer.status_code == 403 and answer.json()["code"] == "not_authorized", answer.text
    # The genuine enrollment proves it, and the delegate may then store other documents.
    answer = client.put(client.put_form(user, user.enrollment_key, user.enrollment(), nonce))
    assert answer.status_code == 201, answer.text
    answer = client.put(client.put_form(user, rein_key(), job, nonce))
    assert answer.status_code == 201, answer.text
    assert client.clear_nonce(user, nonce).json() == {"nonce": ""}


def test_a_replayed_put_is_refused(causeway):
    client = Client(causeway)
    user = User(f"Rita Replay {token()}")
    client.request_bucket(user)
    nonce = client.nonce(user)
    form = client.put_form(user, user.enrollment_key, user.enrollment(), nonce)
    assert client.put(form).status_code == 201
    again = client.put(dict(form))
    assert again.status_code == 401, again.text
    body = again.json()
    assert set(body) == {"result", "error", "code"}, body
    assert (body["result"], body["code"]) == ("error", "replayed"), body
    # The same nonce still signs a different request.
    other = client.put_form(user, rein_key(), user.signed("Rein Job", [("Job ID", "r")]), nonce)
    assert client.put(other).status_code == 201
    client.clear_nonce(user, nonce)


def test_identical_puts_in_flight_succeed_exactly_once(causeway):
    client = Client(causeway)
    user = User(f"Concurrent Carla {token()}")
    client.request_bucket(user)
    nonce = client.nonce(user)
    form = client.put_form(user, user.enrollment_key, user.enrollment(), nonce)
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: client.put(form), range(8)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [401] * 7, [a.text for a in answers]
    assert all(a.json()["code"] == "replayed" for a in answers if a.status_code == 401)
    client.clear_nonce(user, nonce)


def test_a_strangers_flood_is_limited_and_the_owner_still_syncs(causeway):
    client = Client(causeway)
    user = User(f"Flooded Fiona {token()}")
    assert client.request_bucket(user).json()["result"] == "success"
    # A stranger's machine asks for the owner's nonces far past the default 10 a second.
    new_machine()
    answers = [client.get("/nonce", {"address": user.master.address}) for _ in range(30)]
    refused = [a for a in answers if a.status_code == 429]
    assert refused, "the default nonce limit never refused a flood"
    assert all(a.json()["code"] == "rate_limited" and int(a.headers["Retry-After"]) >= 1
               for a in refused), refused[0].text
    # The owner's client, on its own machine, syncs as if nothing happened.
    new_machine()
    _, results = client.sync(user, [(user.enrollment_key, user.enrollment())])
    assert [answer.status_code for _, answer in results] == [201], results[0][1].text


# --- queries ---------------------------------------------------------------------------


def test_mediators_are_enrollments_willing_to_mediate(market):
    mediators = found(market, market.alice, "mediators")
    assert market.alice.value("enrollment") in mediators
    for unwilling in (market.bob, market.hal):
        assert unwilling.value("enrollment") not in mediators
    assert market.tess.value("enrollment") not in mediators
    assert all(isinstance(item, str) and "\nWilling to mediate: True\n" in item
               for item in mediators)


def test_jobs_and_bids_list_only_genuine_documents_of_their_title(market):
    alice, bob = market.alice, market.bob
    jobs = found(market, alice, "jobs")
    assert alice.value("job") in jobs and bob.value("job") in jobs
    assert jobs.index(alice.value("job")) < jobs.index(bob.value("job")), "oldest first"
    for absent in (alice.value("forged_job"), alice.value("plain"), alice.value("bid"),
                   market.tess.value("job")):
        assert absent not in jobs
    bids = found(market, bob, "bids")
    assert alice.value("bid") in bids and bob.value("bid") in bids
    assert alice.value("tampered_bid") not in bids
    assert alice.value("job") not in bids
    assert all(isinstance(item, str) for item in jobs + bids)


def test_deliveries_match_the_job_creator_key(market):
    alice, bob = market.alice, market.bob
    assert found(market, alice, "deliveries", job_creator=alice.user.delegate.pubkey) == [
        alice.value("delivery")]
    # Bob made an offer, not a delivery; other fields holding a key do not count.
    assert found(market, alice, "deliveries", job_creator=bob.user.delegate.pubkey) == []
    assert found(market, alice, "deliveries", job_creator=alice.worker_key.pubkey) == []
    assert found(market, alice, "deliveries", job_creator=alice.mediator_key.pubkey) == []


def test_in_process_matches_the_worker_key(market):
    alice, bob = market.alice, market.bob
    assert found(market, alice, "in-process", worker=alice.worker_key.pubkey) == [
        alice.value("bid"), alice.value("delivery")]
    assert found(market, alice, "in-process", worker=bob.worker_key.pubkey) == [
        bob.value("bid"), bob.value("offer")]
    assert found(market, alice, "in-process", worker=alice.user.delegate.pubkey) == []


def test_review_matches_the_mediator_key(market):
    alice, bob = market.alice, market.bob
    assert found(market, alice, "review", mediator=alice.mediator_key.pubkey) == [
        alice.value("job"), alice.value("bid"), alice.value("delivery")]
    assert found(market, alice, "review", mediator=bob.mediator_key.pubkey) == [
        bob.value("job"), bob.value("bid"), bob.value("offer")]
    # Alice's enrollment names her own mediator key.
    assert found(market, alice, "review", mediator=alice.user.delegate.pubkey) == [
        alice.value("enrollment")]


def test_by_job_id_takes_a_comma_list_of_ids(market):
    alice, bob = market.alice, market.bob
    mine = [alice.value("job"), alice.value("bid"), alice.value("delivery")]
    assert found(market, alice, "by_job_id", job_ids=alice.job_id) == mine
    both = found(market, alice, "by_job_id", job_ids=f"{alice.job_id},{bob.job_id}")
    assert both == mine + [bob.value("job"), bob.value("bid"), bob.value("offer")]
    assert found(market, alice, "by_job_id", job_ids=token(20)) == []


def test_dispute_answers_deliveries_else_offers(market):
    alice, bob = market.alice, market.bob
    assert found(market, alice, "dispute", job_ids=alice.job_id) == [alice.value("delivery")]
    assert found(market, alice, "dispute", job_ids=bob.job_id) == [bob.value("offer")]
    assert found(market, alice, "dispute", job_ids=f"{alice.job_id},{bob.job_id}") == [
        alice.value("delivery"), bob.value("offer")]


def test_user_ratings_by_rated_and_rater_msin(market):
    alice, bob = market.alice, market.bob
    alice_rates_bob, bob_rates_alice = keyed(alice, "rating"), keyed(bob, "rating")
    assert found(market, alice, "get_user_ratings", dest=bob.user.msin) == [alice_rates_bob]
    assert found(market, alice, "get_user_ratings", source=alice.user.msin) == [alice_rates_bob]
    assert found(market, alice, "get_user_ratings", dest=alice.user.msin) == [bob_rates_alice]
    assert found(market, alice, "get_user_ratings",
                 dest=bob.user.msin, source=alice.user.msin) == [alice_rates_bob]
    assert found(market, alice, "get_user_ratings",
                 dest=alice.user.msin, source=alice.user.msin) == []
    assert found(market, alice, "get_user_ratings") == ["error"]


def test_user_name_by_secure_identity_number(market):
    alice, bob = market.alice, market.bob
    assert found(market, bob, "get_user_name", msin=alice.user.msin) == [
        keyed(alice, "enrollment")]
    assert found(market, bob, "get_user_name", msin=bob.user.msin) == [keyed(bob, "enrollment")]
    assert found(market, bob, "get_user_name", msin=market.tess.user.msin) == []


def test_get_user_finds_an_enrollment_by_each_identity_field(market):
    alice = market.alice
    user = alice.user
    name_part = user.name.split()[1].lower() + " " + user.name.split()[2]
    contact_part = user.contact.split("@")[0].upper()
    for search in (user.msin, user.master.address, user.delegate.address, name_part,
                   contact_part):
        assert found(market, market.bob, "get_user", search_input=search) == [
            alice.value("enrollment")], search
    assert found(market, market.bob, "get_user", search_input=f"nobody-{token()}") == []


def test_testnet_documents_answer_only_testnet_queries(market):
    alice, tess = market.alice, market.tess
    for testnet in ("True", "1"):
        jobs = found(market, alice, "jobs", testnet=testnet)
        assert tess.value("job") in jobs and alice.value("job") not in jobs
        mediators = found(market, alice, "mediators", testnet=testnet)
        assert tess.value("enrollment") in mediators
        assert alice.value("enrollment") not in mediators
        assert found(market, alice, "by_job_id", testnet=testnet, job_ids=tess.job_id) == [
            tess.value("job"), tess.value("delivery")]
        assert found(market, alice, "get_user", testnet=testnet, search_input=tess.user.msin) == [
            tess.value("enrollment")]
    for testnet in ("False", "0", None):
        jobs = found(market, alice, "jobs", testnet=testnet)
        assert alice.value("job") in jobs and tess.value("job") not in jobs
        assert found(market, alice, "by_job_id", testnet=testnet, job_ids=tess.job_id) == []
        assert found(market, alice, "get_user", testnet=testnet,
                     search_input=tess.user.msin) == []
    # Disputes look at both networks.
    assert found(market, alice, "dispute", testnet="False", job_ids=tess.job_id) == [
        tess.value("delivery")]


def test_forged_documents_are_served_but_never_queried(market):
    alice = market.alice
    for name in ("forged_job", "tampered_bid", "plain"):
        answer = market.client.get("/get", {"key": alice.key(name)})
        assert answer.status_code == 200
        assert answer.json() == {"key": alice.key(name), "value": alice.value(name)}
    assert found(market, alice, "by_job_id", job_ids=market.forged_job_id) == []
    assert found(market, alice, "deliveries", job_creator=alice.user.delegate.pubkey) == [
        alice.value("delivery")]
    by_id = found(market, alice, "by_job_id", job_ids=alice.job_id)
    assert alice.value("tampered_bid") not in by_id


def test_answers_carry_a_null_block_info_without_a_node(market):
    answer = market.client.query(market.alice.user, "jobs")
    body = answer.json()
    assert "block_info" in body and body["block_info"] is None, body


def test_an_owner_without_a_bucket_may_not_query(market):
    stranger = User(f"Stranger Danger {token()}")
    for kind in ("jobs", "mediators", "get_user_ratings"):
        answer = market.client.query(stranger, kind, dest=market.alice.user.msin)
        assert answer.status_code == 200, answer.text
        assert answer.json() == ACCOUNT_REQUIRED


def test_an_unknown_query_kind_is_a_bad_request(market):
    for kind in ("everything", "JOBS", "jobs; DROP TABLE pairs", "%"):
        answer = market.client.query(market.alice.user, kind)
        assert answer.status_code == 400, answer.text
        body = answer.json()
        assert set(body) == {"result", "error", "code"}, body
        assert body["result"] == "error" and body["code"] == "bad_request", body
        assert isinstance(body["error"], str) and body["error"], body


# --- hostile parameters ----------------------------------------------------------------

FIELD_KINDS = [("deliveries", "job_creator"), ("in-process", "worker"), ("by_job_id", "job_ids")]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_hostile_value_matches_only_itself(market, value):
    expected = [market.hal.value(f"hostile{HOSTILE_VALUES.index(value)}")]
    for kind, param in FIELD_KINDS:
        assert found(market, market.alice, kind, **{param: value}) == expected, (kind, value)


@pytest.mark.parametrize("probe", PATTERN_PROBES)
def test_a_pattern_like_parameter_is_no_pattern(market, probe):
    for kind, param in FIELD_KINDS:
        assert found(market, market.alice, kind, **{param: probe}) == [], (kind, probe)


def test_a_parameter_spanning_lines_matches_nothing(market):
    alice = market.alice
    # Consecutive lines of Alice's delivery: a substring search over the text would match.
    worker = f"{alice.worker_key.pubkey}\nMediator public key: {alice.mediator_key.pubkey}"
    assert found(market, alice, "in-process", worker=worker) == []
    creator = f"{alice.user.delegate.pubkey}\nPrimary payment inputs: x"
    assert found(market, alice, "deliveries", job_creator=creator) == []
    job_ids = f"{alice.job_id}\nDeliverables: All twelve plates and the caption sheet."
    assert found(market, alice, "by_job_id", job_ids=job_ids) == []
    assert found(market, alice, "dispute", job_ids=job_ids) == []
    user = alice.user
    for search in (f"{user.name}\nContact: {user.contact}",
                   f"{user.msin}\nDelegate signing address: {user.delegate.address}",
                   "%\n%", "\n"):
        assert found(market, alice, "get_user", search_input=search) == [], search


def test_a_nul_in_a_parameter_is_refused_or_matches_nothing(market):
    answer = market.client.query(market.alice.user, "in-process", worker="a\0b")
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 400:
        assert answer.json()["code"] == "bad_request"
    else:
        assert answer.json()["in-process"] == []


def test_get_user_contains_takes_wildcards_literally(market):
    hal = [market.hal.value("enrollment")]
    for search in ("100% _under_", "BACK\\SLASH", "it's \"q\"", "zed 100%", "%", "_"):
        assert found(market, market.alice, "get_user", search_input=search) == hal, search
    for search in ("100%_under", "ZED_100", "back\\\\slash", "%under%", "z%d", "zed.*100",
                   "[z]ed", "'%'"):
        assert found(market, market.alice, "get_user", search_input=search) == [], search
