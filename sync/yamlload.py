"""The YAML loader for config, rubric and mapping files: PyYAML's safe loader, in its C
version (libyaml) when installed: a service reads these files every cycle."""

from __future__ import annotations

import yaml

SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
