"""The Maya renderers the farm drives: Maya's name for each and what `Render -r` takes.

`defaultRenderGlobals.currentRenderer` holds Maya's name (`mayaSoftware`);
the `Render` command takes its own (`sw`), as Maya's "Render (command-line)"
documentation lists them. The scene analysis refuses a renderer not listed
here; the worker's maya adapter drives exactly these (`farmhand_worker.adapters.maya`).
"""

from __future__ import annotations

RENDER_FLAG: dict[str, str] = {
    "arnold": "arnold",
    "mayaSoftware": "sw",
    "mayaHardware2": "hw2",
    "redshift": "redshift",
    "vray": "vray",
    "renderman": "renderman",
    "renderManRIS": "renderman",
}
"""Maya's renderer name → the `Render -r` value."""


def render_flag(name: str) -> str | None:
    """The `Render -r` value for a renderer named either way, or None when the farm lacks it.

    >>> render_flag("mayaSoftware"), render_flag("sw"), render_flag("mentalRay")
    ('sw', 'sw', None)
    """
    if name in RENDER_FLAG:
        return RENDER_FLAG[name]
    return name if name in RENDER_FLAG.values() else None
