"""`sijill dci worker | deliveries | resend`: a separate worker delivers what is owed, signed; an
administrator sees where messages go and what became of them, never their content."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from sijill.db import make_engine, make_sessionmaker, transaction
from sijill.dci.models import DciDelivery, DciPartner
from sijill.dci.outbox import enqueue
from sijill.dci.partners import register_partner
from tests.conftest import SYSTEM
from tests.dci.receiver_support import receiver
from tests.dci.test_subscriptions import PROVINCE, predicate, register, subscribed_code
from tests.factories import seed_territory
from tests.test_cli import sijill


def _owe(url: str, callback: str, count: int) -> None:
    factory = make_sessionmaker(make_engine(url))
    with transaction(factory) as session:
        registered = register_partner(
            session=session,
            actor=SYSTEM,
            client_id="cnss-amo",
            name="CNSS",
            territories=None,
            fields=[],
            callback_prefixes=[callback],
        )
        session.flush()
        for number in range(count):
            enqueue(
                session,
                partner_id=registered.partner.id,
                exchange_id=None,
                url=callback + "notify",
                body={
                    "header": {"action": "notify", "message_id": f"m-{number}", "sender_id": "sijill"},
                    "message": {"transaction_id": "t", "notify_event": []},
                },
            )


def test_a_worker_pass_delivers_signed_and_the_list_shows_no_content(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dci.db'}"
    assert sijill("db", "upgrade", db_url=url).returncode == 0
    env = {"SIJILL_DATA_DIR": str(tmp_path)}
    with receiver() as partner_side:
        _owe(url, partner_side.base + "/dci/", 2)
        partner_side.script = [200, 503]
        ran = sijill("dci", "worker", "--once", db_url=url, extra_env=env)
        assert ran.returncode == 0, ran.stderr
        assert "1 delivered, 1 to retry" in ran.stdout
        assert all(body["signature"].startswith("Signature: ") for body in partner_side.bodies())
    pending = sijill("dci", "deliveries", db_url=url)
    assert pending.returncode == 0 and "cnss-amo" in pending.stdout and "HTTP 503" in pending.stdout
    assert "notify_event" not in pending.stdout
    delivered = sijill("dci", "deliveries", "--state", "delivered", db_url=url)
    assert "notify" in delivered.stdout


def test_bad_worker_commands_exit_2(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dci.db'}"
    assert sijill("db", "upgrade", db_url=url).returncode == 0
    state = sijill("dci", "deliveries", "--state", "lost", db_url=url)
    assert state.returncode == 2 and "état inconnu" in state.stderr and "Traceback" not in state.stderr
    missing = sijill("dci", "resend", "--id", "42", db_url=url)
    assert missing.returncode == 2 and "abandonné" in missing.stderr
    factory = make_sessionmaker(make_engine(url))
    with transaction(factory) as session:
        assert session.execute(select(DciPartner)).first() is None
        assert session.execute(select(DciDelivery)).first() is None


def test_subscriptions_are_listed_without_their_filters(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dci.db'}"
    assert sijill("db", "upgrade", db_url=url).returncode == 0
    factory = make_sessionmaker(make_engine(url))
    with transaction(factory) as session:
        seed_territory(session, SYSTEM)
    register(factory, "cnss-amo", [PROVINCE])
    code = subscribed_code(factory, "cnss-amo", query=predicate("poverty_score", "le", "7.123456"))
    listed = sijill("dci", "subscriptions", db_url=url)
    assert listed.returncode == 0, listed.stderr
    assert code[:8] in listed.stdout and "REGISTER" in listed.stdout and "predicate" in listed.stdout
    assert "7.123456" not in listed.stdout
    other = sijill("dci", "subscriptions", "--client-id", "nobody", db_url=url)
    assert code[:8] not in other.stdout
