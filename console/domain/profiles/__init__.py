"""Connection profiles: named environments, kept in a TOML file in the user's config directory.

No Qt here. Secrets (the broker password, the backend token) are never part of a
profile: they live in the operating system's keyring (``console.services.secrets``).

``model`` holds a profile and its rules, ``parse`` reads a file's text with every
problem it has, ``store`` finds, reads and writes the file.
"""

from console.domain.profiles.model import (
    DEFAULT_COLOUR,
    PRODUCTION_COLOUR,
    SANDBOX_COLOUR,
    URL_FIELDS,
    Profile,
    ProfileError,
    TransportInput,
    check_profiles,
    field_label,
    name_key,
    read_transport_input,
    sandbox_profile,
    split_broker_password,
    transport_text,
    url_problems,
    with_broker_password,
)
from console.domain.profiles.parse import LoadResult, parse_profiles
from console.domain.profiles.store import PROFILES_FILE, ProfileStore, config_dir
from console.domain.translation import Message

__all__ = [
    "DEFAULT_COLOUR",
    "PRODUCTION_COLOUR",
    "PROFILES_FILE",
    "SANDBOX_COLOUR",
    "URL_FIELDS",
    "LoadResult",
    "Message",
    "Profile",
    "ProfileError",
    "ProfileStore",
    "TransportInput",
    "check_profiles",
    "config_dir",
    "field_label",
    "name_key",
    "parse_profiles",
    "read_transport_input",
    "sandbox_profile",
    "split_broker_password",
    "transport_text",
    "url_problems",
    "with_broker_password",
]
