"""The bundled sample ward: a deterministic generator of its roster and form exports.

A developer tool, not shipped with ``kns``: run it from the project root.
``python -m tools.sample_ward [--out config/sample] [--seed 2026] [--check]`` writes the
roster (``roster/``), the exports (``exports/``) and a short README, or with ``--check``
only compares them with a folder. Every run with the same seed gives the same bytes: one
``random.Random(seed)`` per generator, no clock, fixed iteration order.

``generate(seed)`` also returns a ``Truth`` built from the generator's own model (never by
parsing the files): what the pipeline must find once it has read the messy files, and the
rows deliberately made invalid. The end-to-end tests check the pipeline's figures against it.

The sample is evaluated at ``NOW`` (Monday 23/11/2026 08:00, Asia/Ho_Chi_Minh); no
submission is later than that.

``tile_tables(seed, tile, used_people)`` gives one copy of the sample as rows (header first)
for a bigger ward made of many copies (``bench/scale_ward.py``): copy ``tile`` >= 1 has its
own branch codes, names and members, and shares ``used_people`` with the other copies so
nobody appears twice in the province. Tile 0 is the sample ward itself, byte for byte.

Modules: ``vocab`` (constants, names, branches), ``truth`` (what must be found), ``roster``
(the builder's base and the roster), ``branch_reports`` / ``registrations`` / ``scores`` /
``learning`` (forms A, B, C and export D), ``files`` (rows and bytes), ``answer_key`` (the
truth from the model), ``staff`` and ``support`` (their own random streams), ``builder``
(the whole builder, ``generate``), ``cli``.
"""

from tools.sample_ward.builder import (
    Builder,
    build_ward,
    drift,
    generate,
    tile_tables,
    write,
)
from tools.sample_ward.cli import main
from tools.sample_ward.files import export_d_bytes
from tools.sample_ward.truth import (
    BranchTruth,
    InvalidRow,
    LearnerTruth,
    MemberTruth,
    SampleWard,
    Situation,
    ToleratedValue,
    Truth,
)
from tools.sample_ward.vocab import (
    BRANCHES_FILE,
    COMMITTEE,
    CSV_STYLE,
    DEFAULT_OUT,
    DEFAULT_SEED,
    DONE,
    EXPORT_D_FILE,
    EXPORT_D_HEADER,
    EXPORT_D_SHEET,
    FORM_A_COLUMNS,
    FORM_A_FILE,
    FORM_A_HEADER,
    FORM_B_FILE,
    FORM_C_FILE,
    LESSONS_TOTAL,
    MEMBERS_FILE,
    NA_TEXT,
    NAMESAKE_BIRTHS,
    NAMESAKE_BRANCH,
    NAMESAKE_NAME,
    NO_EMAIL_BRANCH,
    NOT_DONE,
    NOW,
    PROGRESS,
    README_FILE,
    SAMPLE_MEMBERS,
    SELF,
    SITUATIONS,
    SOURCES,
    TWIN_BIRTH,
    TWIN_BRANCHES,
    TWIN_NAME,
    TZ,
    UNKNOWN_BRANCH_TEXT,
    UNKNOWN_UNIT_TEXT,
)

__all__ = [
    "BRANCHES_FILE",
    "COMMITTEE",
    "CSV_STYLE",
    "DEFAULT_OUT",
    "DEFAULT_SEED",
    "DONE",
    "EXPORT_D_FILE",
    "EXPORT_D_HEADER",
    "EXPORT_D_SHEET",
    "FORM_A_COLUMNS",
    "FORM_A_FILE",
    "FORM_A_HEADER",
    "FORM_B_FILE",
    "FORM_C_FILE",
    "LESSONS_TOTAL",
    "MEMBERS_FILE",
    "NAMESAKE_BIRTHS",
    "NAMESAKE_BRANCH",
    "NAMESAKE_NAME",
    "NA_TEXT",
    "NOT_DONE",
    "NOW",
    "NO_EMAIL_BRANCH",
    "PROGRESS",
    "README_FILE",
    "SAMPLE_MEMBERS",
    "SELF",
    "SITUATIONS",
    "SOURCES",
    "TWIN_BIRTH",
    "TWIN_BRANCHES",
    "TWIN_NAME",
    "TZ",
    "UNKNOWN_BRANCH_TEXT",
    "UNKNOWN_UNIT_TEXT",
    "BranchTruth",
    "Builder",
    "InvalidRow",
    "LearnerTruth",
    "MemberTruth",
    "SampleWard",
    "Situation",
    "ToleratedValue",
    "Truth",
    "build_ward",
    "drift",
    "export_d_bytes",
    "generate",
    "main",
    "tile_tables",
    "write",
]
