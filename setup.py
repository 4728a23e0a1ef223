"""Installs Farmhand's three packages: `farmhand` (artist side, also inside Maya),
`farmhand_server` (the farm manager) and `farmhand_worker` (the render-node daemon)."""

from setuptools import find_packages, setup

# The scene reader's fast search (farmhand.scene.byte_patterns); Python's re is the fallback.
SCENE = ["google-re2>=1.1"]

WORKER = [
    *SCENE,
    "requests>=2.31",
    "xxhash>=3.4",
    "numpy>=1.26",
    "OpenEXR>=3.2",
    "Pillow>=10",
    "psutil>=5.9",
]

SERVER = [
    *SCENE,
    "aiohttp>=3.9",
    "sqlalchemy[asyncio]>=2.0",
    "aiosqlite>=0.20",
    "asyncpg>=0.29",
    "jsonschema>=4.21",
    "pyyaml>=6",
    "xxhash>=3.4",
]

setup(
    name="farmhand",
    version="0.1.0",
    description="A render farm for Maya studios: scene analysis, submission, server and workers",
    python_requires=">=3.11",
    package_dir={
        "farmhand": "scripts/farmhand",
        "farmhand_server": "server/farmhand_server",
        "farmhand_worker": "server/farmhand_worker",
    },
    packages=find_packages("scripts", include=["farmhand", "farmhand.*"])
    + find_packages("server", include=["farmhand_server*", "farmhand_worker*"]),
    package_data={
        "farmhand": ["spec/schemas/*.json"],
        "farmhand_server": ["openapi.yaml", "dashboard/static/*", "dashboard/static/*/*"],
    },
    install_requires=[],
    extras_require={
        # What runs inside Maya's own Python (installed with mayapy -m pip --target).
        "maya": ["requests>=2.31", "xxhash>=3.4", "jsonschema>=4.21", *SCENE],
        "server": SERVER,
        "worker": WORKER,
        # The panel outside Maya (Maya ships its own PySide6).
        "panel": ["PySide6-Essentials>=6.5"],
        # Everything the test suite exercises, plus the tools it runs.
        "dev": sorted(
            set(SERVER)
            | set(WORKER)
            | {
                "PySide6-Essentials>=6.5",
                "pytest-qt>=4.4",
                "playwright>=1.40",
                "requests>=2.31",
                "pytest>=8",
                "schemathesis>=4.32",
                "hypothesis>=6.100",
                "ruff>=0.6",
                # The type checker (tools/test.sh) and the stubs of libraries that ship none.
                "mypy>=2.4,<2.5",
                "pre-commit>=4",
                "asyncpg-stubs",
                "types-jsonschema",
                "types-psutil",
                "types-PyYAML",
                "types-requests",
            }
        ),
    },
    entry_points={
        "console_scripts": ["farmhand = farmhand.cli:main"],
        "farmhand.commands": [
            "server = farmhand_server.cli:register_server",
            "admin = farmhand_server.cli:register_admin",
            "worker = farmhand_worker.cli:register",
        ],
    },
)
