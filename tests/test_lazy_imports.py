"""A web worker loads the heavy libraries (numpy, SciPy, matplotlib, python-docx, openpyxl, the
spreadsheet reader, the Redis client, the HTTP client webhooks are sent with, the console's
Jinja and Babel, python-jose with its `cryptography`, the worker's job kinds) only when a request
first needs them, and the driver of a database it does not use never: building the app on
SQLite must not import them (bench/worker_memory.py measures what this saves)."""

import subprocess
import sys

HEAVY = (
    "numpy",
    "scipy",
    "matplotlib",
    "docx",
    "openpyxl",
    "python_calamine",
    "redis",
    "httpx",
    "jinja2",
    "babel",
    "jose",
    "cryptography",
    "app.worker",
    "psycopg",
)


def test_building_the_app_imports_none_of_the_heavy_libraries() -> None:
    probe = (
        "import sys\n"
        "from app.core.settings import Settings\n"
        "from app.main import create_app\n"
        "create_app(Settings(_env_file=None, database_url='sqlite://', jwt_secret='x' * 40))\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    found = subprocess.run(  # noqa: S603 (our own interpreter, our own code)
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert found.stdout.split() == []
