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
    dropped = False
    if inventory:  # kept without its password, which never goes into the settings
        from refurb.sync import clean_inventory_setting

        inventory, dropped = clean_inventory_setting(inventory)
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
        "inventory": config.get("inventory") or None,
        "password_dropped": dropped,
    }
    from refurb.keys import ensure_site_key, public_key_path

    ensure_site_key(env)
    result["public_key"] = str(public_key_path(env))
    return result


SETTABLE = (
    "site",
    "lang",
    "inventory",
    "label_url",
    # what `refurb workbench` offers: the bench's printer and label stock, the usual OS
    "label_printer",
    "label_template",
    "os_image",
    "os_version",
)


def settings(env: Env, key: str | None = None) -> dict[str, Any]:
    """The site's settings (or one of them), as `refurb config` shows them."""
    config = load_config(env.config_path)
    if key is None:
        return {k: config.get(k, "") for k in (*SETTABLE, "workstation")}
    if key not in (*SETTABLE, "workstation"):
        raise InvalidInput(
            _("no setting {key!r}").format(key=key),
            _("choose one of {keys}").format(keys=", ".join(SETTABLE)),
        )
    return {key: config.get(key, "")}


def set_setting(env: Env, key: str, value: str) -> dict[str, Any]:
    """Change one setting after checking it; an empty value removes it."""
    if key not in SETTABLE:
        raise InvalidInput(
            _("no setting {key!r}").format(key=key),
            _("choose one of {keys}").format(keys=", ".join(SETTABLE)),
        )
    value = value.strip()
    dropped = False
    if value and key == "inventory":
        from refurb.sync import clean_inventory_setting

        value, dropped = clean_inventory_setting(value)
    elif value and key == "lang" and value.lower()[:2] not in ("nl", "fr", "en"):
        raise InvalidInput(_("lang {value!r}: choose nl, fr or en").format(value=value))
    elif value and key == "label_url" and "{asset}" not in value:
        raise InvalidInput(
            _("--label-url {url!r} has no {{asset}} in it").format(url=value),
            _("for example {example}").format(example="https://stock.example.org/d/{asset}"),
        )
    config = load_config(env.config_path)
    config[key] = value.lower()[:2] if key == "lang" and value else value
    save_config(env.config_path, config)
    return {"key": key, "value": config[key], "password_dropped": dropped}
