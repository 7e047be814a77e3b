"""Creating a site: config, store and signing key, safe to repeat."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from refurb.config import load_config, save_config
from refurb.errors import InvalidInput
from refurb.i18n import _

if TYPE_CHECKING:
    from refurb.env import Env


def initialize(
    env: Env,
    *,
    site: str | None = None,
    inventory: str | None = None,
    label_url: str | None = None,
    contact: str | None = None,
    operator: str | None = None,
    lang: str | None = None,
) -> dict[str, Any]:
    from refurb.store import _redact, open_store, workstation_id

    if label_url and "{asset}" not in label_url:
        raise InvalidInput(
            _("--label-url {url!r} has no {{asset}} in it").format(url=label_url),
            _("for example {example}").format(example="https://stock.example.org/d/{asset}"),
        )
    config = load_config(env.config_path)
    given = (
        ("site", site),
        ("inventory", inventory),
        ("label_url", label_url),
        ("contact", contact),
        ("operator", operator),
    )
    for key, value in given:
        if value is not None:
            config[key] = value
    if lang:
        config["lang"] = lang
    elif env.lang and env.lang != "en" and not config.get("lang"):
        config["lang"] = env.lang
    save_config(env.config_path, config)
    ws = workstation_id(env)
    with open_store(env, create=True) as store:
        devices = store.count_devices()
    result: dict[str, Any] = {
        "site": config.get("site") or None,
        "contact": config.get("contact") or None,
        "operator": config.get("operator") or None,
        "config": str(env.config_path),
        "database": _redact(env.database_url),
        "workstation": ws,
        "devices": devices,
        "public_key": None,
    }
    from refurb.keys import ensure_site_key, public_key_path

    ensure_site_key(env)
    result["public_key"] = str(public_key_path(env))
    return result
