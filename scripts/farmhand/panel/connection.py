"""Which farm the panel talks to, and the small login form shown when none is set.

The server and token come from `farmhand.transfer.client.resolve_login` (environment,
then the config file `farmhand login` writes); the form saves a new pair with
`save_login` after the server has accepted the token (`GET /me`, in the
background).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from farmhand.panel import theme
from farmhand.panel.background import Background
from farmhand.panel.qt import QtWidgets, Signal
from farmhand.transfer.client import FarmClient, FarmError, resolve_login, save_login


@dataclass(frozen=True, slots=True)
class Login:
    """A farm server URL and the artist's API token."""

    server: str
    token: str

    @property
    def usable(self) -> bool:
        """True when there is a token to send."""
        return bool(self.token)

    def client(self) -> FarmClient:
        """A new client (one per background call: a requests session is not shared)."""
        return FarmClient(self.server, self.token, timeout=60.0)


def current_login() -> Login:
    """The login `farmhand` would use now."""
    server, token = resolve_login()
    return Login(server, token)


def who_am_i(login: Login) -> dict[str, Any]:
    """`GET /me` with this login (raises FarmError or a requests error)."""
    return login.client().json("GET", "/me")


class LoginForm(QtWidgets.QFrame):
    """Server URL and token; `logged_in(Login, me)` once the server accepts them."""

    logged_in = Signal(object, object)

    def __init__(self, background: Background, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self._background = background
        login = current_login()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(8)
        layout.addWidget(theme.label("Connect to your farm", "heading"))
        layout.addWidget(
            theme.label(
                "Ask your farm admin for the server address and an API token "
                "(farmhand admin create-user NAME prints one).",
                "muted",
                wrap=True,
            )
        )
        form = QtWidgets.QFormLayout()
        self.server = QtWidgets.QLineEdit(login.server)
        self.server.setPlaceholderText("http://farm:8642")
        self.token = QtWidgets.QLineEdit(login.token)
        self.token.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("fhu_…")
        form.addRow("Server", self.server)
        form.addRow("Token", self.token)
        layout.addLayout(form)
        row = QtWidgets.QHBoxLayout()
        self.status = theme.label("", "muted", wrap=True)
        self.connect_button = QtWidgets.QPushButton("Connect")
        self.connect_button.setProperty("role", "primary")
        self.connect_button.clicked.connect(self.try_login)
        self.token.returnPressed.connect(self.try_login)
        row.addWidget(self.status, 1)
        row.addWidget(self.connect_button)
        layout.addLayout(row)

    def try_login(self) -> None:
        """Check the server and token in the background; save them if they work."""
        server, token = self.server.text().strip().rstrip("/"), self.token.text().strip()
        if not server.startswith(("http://", "https://")):
            self._show_error("The server address starts with http:// or https://")
            return
        if not token:
            self._show_error("Paste your API token")
            return
        login = Login(server, token)
        self.connect_button.setEnabled(False)
        self.status.setProperty("role", "muted")
        self.status.setText(f"Connecting to {server}…")
        self._background.run(
            who_am_i,
            login,
            on_done=lambda me: self._accepted(login, me),
            on_error=self._refused,
        )

    def _accepted(self, login: Login, me: dict[str, Any]) -> None:
        save_login(login.server, login.token)
        self.connect_button.setEnabled(True)
        self.status.setProperty("role", "ok")
        self.status.setText(f"Connected as {me.get('name', '?')}")
        _restyle(self.status)
        self.logged_in.emit(login, me)

    def _refused(self, exc: BaseException) -> None:
        self.connect_button.setEnabled(True)
        self._show_error(f"Could not connect: {describe_error(exc)}")

    def _show_error(self, text: str) -> None:
        self.status.setProperty("role", "error")
        self.status.setText(text)
        _restyle(self.status)


def describe_error(exc: BaseException) -> str:
    """One line for an artist about a failed call (server message, or what went wrong)."""
    if isinstance(exc, FarmError):
        if exc.status == 401:
            return "the server did not accept the token"
        return exc.message or str(exc)
    name = type(exc).__name__
    if "ConnectionError" in name or "Timeout" in name:
        return "the server does not answer (is the address right, is it running?)"
    return str(exc) or name


def _restyle(widget: QtWidgets.QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)
