"""The one comparison of unit names (issue #21: the unit directory survives reorganisation).

A unit is found by its code, full name, short name or any alias, in a spreadsheet cell as in
the directory. Both sides compare `unit_name_key`s, so the directory can refuse exactly the
names the importer would find ambiguous: the importer's `UnitDirectory`
(services/reform_tasks/import_export/service.py) keys its tables with it, and the unit service
(services/reform_tasks/unit/service.py) keeps the keys of active units pairwise distinct.
"""

from __future__ import annotations

import re
import unicodedata

_BLANKS = re.compile(r"\s+")


def unit_name_key(text: str) -> str:
    """A name as compared: full-width letters, digits and punctuation as ASCII (NFKC), no blanks
    anywhere (`市 场监管局` is `市场监管局`) and in lower case (`ＡＢＣ局`, `ABC局` and `abc局` are
    one name)."""
    return _BLANKS.sub("", unicodedata.normalize("NFKC", text)).lower()
