"""The survey settings the engine needs, typed, with the survey files and the reason taxonomy read once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from recovery.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    from recovery.core.reasons import Taxonomy
    from recovery.core.surveys import Survey


def _shipped(*parts: str) -> Path:
    return Path(str(resources.files("recovery").joinpath(*parts)))


@dataclass
class SurveyConfig:
    """``[surveys]`` and ``[reasons]`` as the engine reads them; ``secret`` is the value of ``secret_env``."""

    directory: Path = field(default_factory=lambda: _shipped("surveys"))
    secret: str | None = None
    secret_env: str = "RECOVERY_SURVEY_SECRET"
    base_url: str = "http://127.0.0.1:8080"
    lifetime: timedelta = timedelta(days=30)
    default_language: str = "en"
    max_answer: int = 4000
    follow_up: str = "follow_up"  # the survey sent when a complaint's follow-up falls due; "" sends none
    reasons_file: Path = field(default_factory=lambda: _shipped("reasons", "reasons.yaml"))
    min_confidence: float = 0.6
    _surveys: dict[str, Survey] | None = field(default=None, repr=False)
    _taxonomy: Taxonomy | None = field(default=None, repr=False)

    def surveys(self) -> dict[str, Survey]:
        """Every survey by name, read from ``directory`` the first time (YAML costs every other command)."""
        if self._surveys is None:
            from recovery.survey_files import load_surveys

            self._surveys = load_surveys(self.directory)
        return self._surveys

    def survey(self, name: str) -> Survey:
        """The survey named ``name``; NotFoundError naming the known ones."""
        found = self.surveys().get(name)
        if found is None:
            raise NotFoundError(f"no survey {name!r}; known: {', '.join(sorted(self.surveys()))}")
        return found

    def taxonomy(self) -> Taxonomy:
        """The reasons open answers are coded into, read the first time."""
        if self._taxonomy is None:
            from recovery.reason_files import load_taxonomy

            self._taxonomy = load_taxonomy(self.reasons_file)
        return self._taxonomy

    def signing_key(self) -> str:
        """The secret survey links are signed with; ConfigError naming the variable when it is unset."""
        if not self.secret:
            raise ConfigError(
                f"surveys: the environment variable {self.secret_env} is not set: survey links are signed "
                "with it; set it to a long random secret (`openssl rand -hex 32` makes one)"
            )
        return self.secret
