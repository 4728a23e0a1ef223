"""Submit what is saved: the farm renders the scene file, so a modified scene is saved first.

The artist is asked ("Save and submit", "Always save", "Cancel"); "Always save" becomes
a preference (the optionVar :data:`names.SAVE_BEFORE_SUBMIT` set to ``always``, Maya's
own place for preferences), after which a modified scene is saved without asking. An
unmodified scene goes as it is; an untitled one is left to the submission's own check
(it has no file to render).
"""

from __future__ import annotations

from farmhand.maya_ui import names

SAVE, ALWAYS, CANCEL = "Save and submit", "Always save", "Cancel"
ASK_MODE, ALWAYS_MODE = "ask", "always"


def mode() -> str:
    """``always`` (save without asking) or ``ask`` (the default)."""
    from maya import cmds

    if not cmds.optionVar(exists=names.SAVE_BEFORE_SUBMIT):
        return ASK_MODE
    value = cmds.optionVar(query=names.SAVE_BEFORE_SUBMIT)
    return ALWAYS_MODE if value == ALWAYS_MODE else ASK_MODE


def set_mode(value: str) -> None:
    """Keep ``ask`` or ``always`` as this user's preference."""
    from maya import cmds

    if value not in (ASK_MODE, ALWAYS_MODE):
        raise ValueError(f"the save preference is ask or always, not {value!r}")
    cmds.optionVar(stringValue=(names.SAVE_BEFORE_SUBMIT, value))


def save_before_submit() -> bool:
    """Save a modified scene (asking unless the preference says always); False when the
    artist cancels, so nothing is submitted."""
    from maya import cmds

    if not cmds.file(query=True, sceneName=True) or not cmds.file(query=True, modified=True):
        return True
    if mode() != ALWAYS_MODE:
        answer = cmds.confirmDialog(
            title="Farmhand",
            message="The scene has unsaved changes. The farm renders the saved file, so "
            "Farmhand saves it before submitting.",
            button=[SAVE, ALWAYS, CANCEL],
            defaultButton=SAVE,
            cancelButton=CANCEL,
            dismissString=CANCEL,
        )
        if answer not in (SAVE, ALWAYS):
            return False
        if answer == ALWAYS:
            set_mode(ALWAYS_MODE)
    cmds.file(save=True)
    return True
