"""What `farmhand presets list|show|check|publish|delete` does.

Broken preset files are skipped with a warning naming each; `show` prints each
field with the layer it came from and the lower values it hides; `publish` and
`delete` change the server's presets (`PUT`/`DELETE /presets/{name}`, farm admins
only), and `publish` replaces one only with `--overwrite`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import requests

from farmhand.commands import reach
from farmhand.spec import presets as preset_files
from farmhand.transfer.client import FarmClient, FarmError, resolve_login


def _client(args: argparse.Namespace, required: bool) -> FarmClient | None:
    server, token = resolve_login(args.server, args.token)
    if not token and not required:
        return None
    return FarmClient(server, token)


def _warn(problem: str) -> None:
    print(f"farmhand presets: warning: skipped {problem}", file=sys.stderr)


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:59] + "…"


def show_lines(preset: preset_files.Preset) -> list[str]:
    """Each field: its value, the layer it came from, and what it hides."""
    lines = [f"{preset.name}: {preset.layered_from}"
             + (f" — {preset.description}" if preset.description else "")]  # fmt: skip
    flat: dict[str, Any] = {}
    for key, value in preset.fields.items():
        if key in ("name", "description"):
            continue
        if key == "software" and isinstance(value, dict):
            flat.update({f"software.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    width = max((len(k) for k in flat), default=0)
    for key, value in flat.items():
        line = f"  {key:<{width}}  {_value(value)}  ({preset.origins.get(key, preset.scope)})"
        hidden = preset.hidden.get(key)
        if hidden:
            line += "; hides " + ", ".join(f"{scope} {_value(v)}" for scope, v in hidden)
        lines.append(line)
    for key, hidden in preset.hidden.items():
        if key not in flat:  # dropped by a higher layer's choice (tiles over frames per task)
            gone = ", ".join(f"{scope} {_value(v)}" for scope, v in hidden)
            lines.append(f"  {key:<{width}}  (unset by a higher layer); hides {gone}")
    return lines


def run(args: argparse.Namespace) -> int:
    """Run one `presets` subcommand; the exit code."""
    try:
        if args.what in ("publish", "delete"):
            return _change_server(args)
        client = None if args.offline else _client(args, required=False)
        if args.what == "list":
            found = preset_files.available(client, warn=_warn)
            for name, preset in sorted(found.items()):
                hides = sum(len(v) for v in preset.hidden.values())
                note = f" (hides {hides} lower value(s))" if hides else ""
                print(f"{name:<24} {preset.layered_from:<22} {preset.description}{note}")
            return 0
        if not args.name:
            print("farmhand presets: name a preset", file=sys.stderr)
            return 2
        preset = preset_files.find(args.name, client, warn=_warn)
    except FarmError as exc:
        print(f"farmhand presets: cannot read the server's presets: {exc}", file=sys.stderr)
        return 1
    except requests.RequestException as exc:
        server = client.server if client else resolve_login(args.server)[0]
        line = reach.unreachable(server, args.server, exc)
        print(
            f"farmhand presets: cannot read the server's presets: {line} "
            "(--offline leaves them out)",
            file=sys.stderr,
        )
        return 1
    except preset_files.PresetError as exc:
        print(f"farmhand presets: {exc}", file=sys.stderr)
        return 1
    if args.what == "show" and args.json:
        print(json.dumps(preset.fields, indent=2, ensure_ascii=False))
    elif args.what == "show":
        print("\n".join(show_lines(preset)))
    else:
        print(f"{preset.path}: ok ({preset.layered_from})")
    return 0


def _change_server(args: argparse.Namespace) -> int:
    """publish or delete a server preset."""
    if not args.name:
        print(f"farmhand presets {args.what}: name a preset", file=sys.stderr)
        return 2
    client = _client(args, required=True)
    assert client is not None
    try:
        return _publish(args, client) if args.what == "publish" else _delete(args, client)
    except preset_files.PresetError as exc:
        print(f"farmhand presets {args.what}: {exc}", file=sys.stderr)
        return 1
    except requests.RequestException as exc:
        line = reach.unreachable(client.server, args.server, exc)
        print(f"farmhand presets {args.what}: {line}", file=sys.stderr)
        return 1
    except FarmError as exc:
        if exc.status == 403:
            print(
                f"farmhand presets {args.what}: only a farm admin can {args.what} server "
                "presets; ask yours",
                file=sys.stderr,
            )
        else:
            print(f"farmhand presets {args.what}: {exc}", file=sys.stderr)
        return 1


def _publish(args: argparse.Namespace, client: FarmClient) -> int:
    """Publish a local preset (its own file, not the server's layer under it) or a file."""
    local = preset_files.find(args.name, None, warn=_warn)
    source = local.layers[-1] if local.layers else local
    name = args.publish_as or source.name
    on_server = {p["name"] for p in client.json("GET", "/presets").get("presets", [])}
    if name in on_server and not args.overwrite:
        print(
            f"farmhand presets publish: the server has a preset {name!r} already; "
            "--overwrite replaces it",
            file=sys.stderr,
        )
        return 1
    fields = {k: v for k, v in source.fields.items() if k != "name"}
    client.json("PUT", f"/presets/{name}", fields)
    verb = "replaced" if name in on_server else "published"
    print(f"{verb} {source.path} as the server preset {name!r}")
    return 0


def _delete(args: argparse.Namespace, client: FarmClient) -> int:
    try:
        client.json("DELETE", f"/presets/{args.name}")
    except FarmError as exc:
        if exc.status != 404:
            raise
        print(f"farmhand presets delete: the server has no preset {args.name!r}", file=sys.stderr)
        return 1
    print(f"deleted the server preset {args.name!r}")
    return 0
